"""Encrypted dotenv files: names in clear, each value ``enc:v1:…``, the original bytes restorable.

``envkeep encrypt .env`` writes a git-friendly file: a header line, then the original text with
each entry's raw value (``text[value_start:value_end]`` from :func:`scan_dotenv`, quotes
included) replaced by its ciphertext. Comments, blank lines, spacing, ``export``, line endings
and a missing final newline are kept byte for byte, so decryption gives back the exact text and
the encrypted file still parses as dotenv with the same names. A quoted value's ciphertext keeps
its quote characters, so a comment right after the closing quote (``A="x"# note``) stays one::

    # envkeep-encrypted:v1 env=prod env_id=<id> key_version=3 check=<b64url> mac=<b64url>
    export DB_URL=enc:v1:AQAAAAPm…
    GREETING="enc:v1:AQAAAAN2…"  # shown at login

The file key is either derived from an environment data key (``environment_key``) or from a
passphrase with Argon2id at the DESIGN §4 floor (``passphrase_key``); the header says which, and
carries no secret. Three subkeys come from the file key by HKDF:

- **values** — AES-256-GCM (``crypto.seal``) over the raw value's UTF-8 bytes, AAD =
  length-prefixed ``("envkeep/v1/file-value", name, entry index)``: a value moved to another
  name or position fails, and the error names its line;
- **check** — 16 bytes of HMAC-SHA256 over the header's key fields (``check=``): a wrong key or
  passphrase is reported as such before any value is touched;
- **mac** — HMAC-SHA256 over the whole file as written, minus the ``mac`` field itself (BOM,
  header, line endings, comments, blank lines, names and ciphertexts; ``mac=``): adding,
  deleting, reordering or editing any line is detected, so a file that decrypts is exactly the
  file that was encrypted.

Decryption checks in that order (key, each value by line, the whole file): the most specific
error wins. Read and write files as UTF-8 without newline translation to keep ``\\r\\n``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv, scan_dotenv
from envkeep.core.errors import CryptoError, IntegrityError, UsageError, WrongPassphrase
from envkeep.crypto import (
    DEFAULT_KDF,
    KdfParams,
    derive_passphrase_key,
    envelope_key_version,
    from_text,
    hkdf_sha256,
    new_salt,
    open_envelope,
    seal,
    to_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.core.dotenv import RawEntry

__all__ = [
    "HEADER_PREFIX",
    "FileEnvironment",
    "FileKey",
    "decrypt_dotenv",
    "decrypt_values",
    "encrypt_dotenv",
    "environment_key",
    "file_environment",
    "is_encrypted",
    "passphrase_key",
    "passphrase_key_for_header",
    "read_header",
]

HEADER_PREFIX = "# envkeep-encrypted:v1"
_ANY_VERSION_PREFIX = "# envkeep-encrypted:"
_BOM = "\ufeff"
_KEY_SIZE = 32
_CHECK_SIZE = 16
_MAX_KEY_VERSION = 2**32 - 1
_PASSPHRASE_KEY_VERSION = 1  # a passphrase file has no key rotation; its envelopes say 1
_MAX_KDF = KdfParams(memory_kib=4 * 1024 * 1024, iterations=64, lanes=64)

_ENVIRONMENT_INFO = b"envkeep/v1/file|"
_PASSPHRASE_INFO = b"envkeep/v1/file-passphrase"
_VALUE_INFO = b"envkeep/v1/file-value-key"
_CHECK_INFO = b"envkeep/v1/file-check"
_MAC_INFO = b"envkeep/v1/file-mac"
_VALUE_AAD_LABEL = b"envkeep/v1/file-value"

_FIELDS_RE = re.compile(r"(?: [a-z_]+=[^\s=]+)*")
_FIELD_VALUE_RE = re.compile(r"[^\s=]+")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]{0,9}")
_PASSPHRASE_FIELDS = ("kdf", "salt", "m", "t", "p")
_ENVIRONMENT_FIELDS = ("env", "env_id", "key_version")
_TAG_FIELDS = ["check", "mac"]
_QUOTES = ("'", '"')


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class FileKey:
    """The 32-byte key of an encrypted dotenv file and the header line that finds it again.

    ``header`` holds no secret: the Argon2id salt and costs, or the environment's label, id and
    key version. ``key_version`` is recorded in every value's envelope. The repr is masked.
    """

    key: bytes
    header: str
    key_version: int = _PASSPHRASE_KEY_VERSION

    def __repr__(self) -> str:
        return f"FileKey(key=<redacted>, header={self.header!r})"


@dataclass(frozen=True)
class FileEnvironment:
    """The environment (and key version) whose data key an encrypted file needs."""

    label: str
    env_id: str
    key_version: int


def passphrase_key(
    passphrase: str, *, salt: bytes | None = None, params: KdfParams = DEFAULT_KDF
) -> FileKey:
    """Derive a file key from a passphrase with Argon2id (slow by design: ~0.2 s at the floor).

    The key is HKDF(Argon2id master, "envkeep/v1/file-passphrase"), apart from the account keys
    the same passphrase may derive. A fresh salt is drawn unless one is given; parameters weaker
    than DESIGN §4's floor raise ``CryptoError``.
    """
    salt = new_salt() if salt is None else salt
    master = derive_passphrase_key(passphrase, salt, params)
    header = (
        f"{HEADER_PREFIX} kdf=argon2id salt={_b64encode(salt)} "
        f"m={params.memory_kib} t={params.iterations} p={params.lanes}"
    )
    key = hkdf_sha256(master, salt=None, info=_PASSPHRASE_INFO, length=_KEY_SIZE)
    return FileKey(key=key, header=header)


def environment_key(dek: bytes, *, env_id: str, key_version: int, label: str) -> FileKey:
    """Derive a file key from an environment data key: HKDF(dek, "envkeep/v1/file|" ‖ env_id)."""
    if not isinstance(dek, bytes) or len(dek) != _KEY_SIZE:
        raise CryptoError(f"the environment data key must be {_KEY_SIZE} bytes")
    if isinstance(key_version, bool) or not 0 <= key_version <= _MAX_KEY_VERSION:
        raise CryptoError(f"key_version must be an integer from 0 to {_MAX_KEY_VERSION}")
    for what, text in (("environment label", label), ("environment id", env_id)):
        if _FIELD_VALUE_RE.fullmatch(text) is None:
            raise UsageError(f"the {what} must be non-empty, without spaces or '='")
    info = _ENVIRONMENT_INFO + env_id.encode("utf-8", "surrogatepass")
    key = hkdf_sha256(dek, salt=None, info=info, length=_KEY_SIZE)
    header = f"{HEADER_PREFIX} env={label} env_id={env_id} key_version={key_version}"
    return FileKey(key=key, header=header, key_version=key_version)


def passphrase_key_for_header(header: Mapping[str, str], passphrase: str) -> FileKey:
    """Derive the key of a passphrase-encrypted file from its header (see :func:`read_header`).

    ``CryptoError`` if the header asks for Argon2id costs below the floor or absurdly above it
    (an edited header must not make this machine allocate gigabytes).
    """
    if "kdf" not in header:
        raise UsageError(
            "this file is encrypted with an environment key, not a passphrase",
            hint=f"decrypt it with the environment named in the header: --env {header.get('env')}",
        )
    params = KdfParams(
        memory_kib=_decimal(header, "m"),
        iterations=_decimal(header, "t"),
        lanes=_decimal(header, "p"),
    )
    if (
        params.memory_kib > _MAX_KDF.memory_kib
        or params.iterations > _MAX_KDF.iterations
        or (params.lanes > _MAX_KDF.lanes)
    ):
        raise CryptoError("the file's header asks for unreasonably costly key derivation")
    return passphrase_key(passphrase, salt=_b64decode(header["salt"], "salt"), params=params)


def file_environment(header: Mapping[str, str]) -> FileEnvironment:
    """Say which environment's data key decrypts a file (see :func:`read_header`)."""
    if "env_id" not in header:
        raise UsageError(
            "this file is encrypted with a passphrase, not an environment key",
            hint="decrypt it with --passphrase",
        )
    return FileEnvironment(
        label=header["env"], env_id=header["env_id"], key_version=_decimal(header, "key_version")
    )


# --- the header --------------------------------------------------------------------------------


def is_encrypted(text: str) -> bool:
    """Return whether ``text`` starts with an envkeep encrypted-file header (of any version)."""
    return _first_line(text).startswith(_ANY_VERSION_PREFIX)


def read_header(text: str) -> dict[str, str] | None:
    """Return the fields of the header line, in order, or None if ``text`` has no header.

    Raise ``IntegrityError`` if the first line is an envkeep header that is malformed, lacks a
    field its kind of key needs, or comes from another format version.
    """
    line = _first_line(text)
    if not line.startswith(_ANY_VERSION_PREFIX):
        return None
    rest = line.removeprefix(HEADER_PREFIX)
    if rest == line or (rest and not rest.startswith(" ")):
        raise IntegrityError(
            "the file was encrypted in a format this envkeep does not know",
            hint="upgrade envkeep to decrypt it",
        )
    if _FIELDS_RE.fullmatch(rest) is None:
        raise _malformed_header()
    pairs = [field.partition("=") for field in rest.split(" ")[1:]]
    fields = {name: value for name, _, value in pairs}
    if len(fields) != len(pairs):
        raise _malformed_header()
    required = _PASSPHRASE_FIELDS if "kdf" in fields else _ENVIRONMENT_FIELDS
    if any(name not in fields for name in required) or fields.get("kdf", "argon2id") != "argon2id":
        raise _malformed_header()
    return fields


def _first_line(text: str) -> str:
    return text.removeprefix(_BOM).partition("\n")[0].removesuffix("\r")


def _malformed_header() -> IntegrityError:
    return IntegrityError(
        "the envkeep header on line 1 is malformed: the file was damaged or edited",
        hint="restore the file from version control, or encrypt the plain file again",
    )


# --- encrypt -----------------------------------------------------------------------------------


def encrypt_dotenv(text: str, key: FileKey, *, source: str | None = None) -> str:
    """Encrypt every value of dotenv ``text``, keeping everything else byte for byte.

    Raise ``UsageError`` if ``text`` is already encrypted and ``ParseError`` (with the line) if
    it is not valid dotenv.
    """
    if is_encrypted(text):
        raise UsageError(
            f"{source or 'the file'} is already encrypted",
            hint="decrypt it first with: envkeep decrypt",
        )
    value_key = _subkey(key.key, _VALUE_INFO)
    replacements = []
    for index, entry in enumerate(scan_dotenv(text, source=source)):
        raw = text[entry.value_start : entry.value_end]
        aad = _value_aad(entry.name, index)
        token = to_text(seal(value_key, _encode(raw), aad, key_version=key.key_version))
        quote = raw[:1] if raw.startswith(_QUOTES) else ""
        replacements.append((entry, f"{quote}{token}{quote}"))
    body = _splice(text, replacements)
    bom, body = (_BOM, body[1:]) if body.startswith(_BOM) else ("", body)  # the BOM stays first
    newline = "\r\n" if re.match(r"[^\n]*\r\n", text) else "\n"
    signed = f"{key.header} check={_b64encode(_check_tag(key.key, key.header))}"
    mac = _b64encode(_mac(key.key, bom + signed + newline + body))
    return f"{bom}{signed} mac={mac}{newline}{body}"


def _splice(text: str, replacements: Iterable[tuple[RawEntry, str]], start: int = 0) -> str:
    pieces, pos = [], start
    for entry, new in replacements:
        pieces += [text[pos : entry.value_start], new]
        pos = entry.value_end
    pieces.append(text[pos:])
    return "".join(pieces)


# --- decrypt -----------------------------------------------------------------------------------


def decrypt_dotenv(text: str, key_bytes: bytes, *, source: str | None = None) -> str:
    """Return the exact text that :func:`encrypt_dotenv` encrypted.

    Raise ``UsageError`` without a header, ``WrongPassphrase`` or ``IntegrityError`` for a wrong
    key, ``IntegrityError`` naming the line of a changed or moved value, then ``IntegrityError``
    if any other part of the file was changed; ``ParseError`` if it is not valid dotenv.
    """
    where = f"{source}: " if source else ""
    fields = read_header(text)
    if fields is None:
        raise UsageError(
            f"{source or 'the file'} is not an envkeep-encrypted file (no header on line 1)",
            hint="encrypt it first with: envkeep encrypt",
        )
    if list(fields)[-2:] != _TAG_FIELDS:
        raise _malformed_header()
    _verify_check(key_bytes, text, fields, where)
    key_version = _decimal(fields, "key_version") if "env_id" in fields else _PASSPHRASE_KEY_VERSION
    value_key = _subkey(key_bytes, _VALUE_INFO)
    replacements = [
        (entry, _open_value(value_key, entry, index, key_version, where))
        for index, entry in enumerate(scan_dotenv(text, source=source))
    ]
    _verify_mac(key_bytes, text, fields["mac"], where)
    bom = _BOM if text.startswith(_BOM) else ""
    header_end = text.find("\n") + 1 or len(text)
    return bom + _splice(text, replacements, start=header_end)


def decrypt_values(text: str, key_bytes: bytes, *, source: str | None = None) -> dict[str, str]:
    """Decrypt a file and return its variables as ``parse_dotenv`` reads the original."""
    return parse_dotenv(decrypt_dotenv(text, key_bytes, source=source), source=source).values


def _verify_check(key_bytes: bytes, text: str, fields: Mapping[str, str], where: str) -> None:
    # Field values hold no spaces, so the header's key fields end where " check=" starts.
    expected = _check_tag(key_bytes, _first_line(text).partition(" check=")[0])
    if hmac.compare_digest(expected, _b64decode(fields["check"], "check")):
        return
    if "kdf" in fields:
        raise WrongPassphrase(
            f"{where}wrong passphrase (or the file's header was changed)",
            hint="check the passphrase and try again",
        )
    raise IntegrityError(
        f"{where}this file was not encrypted with the key of environment {fields['env']!r} "
        f"(key version {fields['key_version']}), or its header was changed",
        hint="restore the header from version control, or encrypt the plain file again",
    )


def _open_value(value_key: bytes, entry: RawEntry, index: int, version: int, where: str) -> str:
    at = f"{where}line {entry.line}"
    if not entry.value.startswith("enc:v1:"):
        raise IntegrityError(
            f"{at}: the value of {entry.name!r} is not encrypted",
            hint="edit the plain file and encrypt it again with: envkeep encrypt",
        )
    with contextlib.suppress(IntegrityError, UnicodeDecodeError):
        envelope = from_text(entry.value)
        raw = open_envelope(value_key, envelope, _value_aad(entry.name, index))
        if envelope_key_version(envelope) == version:
            return raw.decode("utf-8", "surrogatepass")
    raise IntegrityError(
        f"{at}: the encrypted value of {entry.name!r} failed verification: it was changed, "
        "or moved from another name or line",
        hint="restore the file from version control, or encrypt the plain file again",
    )


def _verify_mac(key_bytes: bytes, text: str, mac: str, where: str) -> None:
    unsigned = text.replace(f" mac={mac}", "", 1)  # the first one is the header's last field
    if not hmac.compare_digest(_mac(key_bytes, unsigned), _b64decode(mac, "mac")):
        raise IntegrityError(
            f"{where}the file was changed outside its values: "
            "lines were added, removed, reordered or edited",
            hint="restore the file from version control, or encrypt the plain file again",
        )


# --- primitives --------------------------------------------------------------------------------


def _subkey(key: bytes, info: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != _KEY_SIZE:
        raise CryptoError(f"the file key must be {_KEY_SIZE} bytes")
    return hkdf_sha256(key, salt=None, info=info, length=_KEY_SIZE)


def _check_tag(key: bytes, signed_header: str) -> bytes:
    return hmac.digest(_subkey(key, _CHECK_INFO), _encode(signed_header), "sha256")[:_CHECK_SIZE]


def _mac(key: bytes, unsigned_text: str) -> bytes:
    return hmac.digest(_subkey(key, _MAC_INFO), _encode(unsigned_text), "sha256")


def _value_aad(name: str, index: int) -> bytes:
    parts = (_VALUE_AAD_LABEL, _encode(name), str(index).encode("ascii"))
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def _encode(text: str) -> bytes:
    # surrogatepass: any str round-trips, even one that no UTF-8 file could hold.
    return text.encode("utf-8", "surrogatepass")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str, field: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise IntegrityError(f"the header's {field} field is not valid base64url") from None
    if _b64encode(raw) != text:
        raise IntegrityError(f"the header's {field} field is not valid base64url")
    return raw


def _decimal(fields: Mapping[str, str], name: str) -> int:
    text = fields.get(name, "")
    if _DECIMAL_RE.fullmatch(text) is None:
        raise _malformed_header()
    return int(text)
