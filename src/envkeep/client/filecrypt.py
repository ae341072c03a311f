"""Encrypted dotenv files: names in clear, each value ``enc:v1:…``, the original bytes restorable.

``envkeep encrypt .env`` writes a git-friendly file: a header line, then the original text with
each entry's raw value (``text[value_start:value_end]`` from :func:`scan_dotenv`, quotes
included) replaced by its ciphertext. Comments, blank lines, spacing, ``export``, line endings
and a missing final newline are kept byte for byte, so decryption gives back the exact text and
the encrypted file still parses as dotenv with the same names. A quoted value's ciphertext keeps
its quote characters, so a comment right after the closing quote (``A="x"# note``) stays one::

    # envkeep-encrypted:v2 env=prod env_id=<id> key_version=3 check=<b64url> mac=<b64url>
    export DB_URL=enc:v1:AQAAAAPm…
    GREETING="enc:v1:AQAAAAN2…"  # shown at login

The file key is either derived from an environment data key (``environment_key``) or from a
passphrase with Argon2id at the DESIGN §4 floor (``passphrase_key``); the header says which, and
carries no secret. Three subkeys come from the file key by HKDF:

- **values** — AES-256-GCM (``crypto.seal``) over the raw value's UTF-8 bytes, AAD =
  length-prefixed ``("envkeep/v1/file-value-by-name", name, occurrence)``, the occurrence
  being how many entries of that name come before it (0 but for a name given again, where
  the last one wins): a value moved to another name, or to another occurrence of its own,
  fails, and the error names its line. Not the entry's position: a value keeps its ciphertext
  when entries are added, removed or reordered around it, and the mac binds the order;
- **check** — 16 bytes of HMAC-SHA256 over the header's key fields (``check=``): a wrong key or
  passphrase is reported as such before any value is touched;
- **mac** — HMAC-SHA256 over the whole file as written, minus the ``mac`` field itself (BOM,
  header, line endings, comments, blank lines, names and ciphertexts; ``mac=``): adding,
  deleting, reordering or editing any line is detected, so a file that decrypts is exactly the
  file that was encrypted.

Decryption checks in that order (key, each value by line, the whole file): the most specific
error wins. Read and write files as UTF-8 without newline translation to keep ``\\r\\n``.

Files written before are read as they were written: their header says ``:v1``, and each value's
AAD is ``("envkeep/v1/file-value", name, entry index)``. The check tag covers the header's
first word, so a file cannot be passed off as the other format, and the two AADs differ in
their label, so no ciphertext opens under the other's.

Encrypting again over the previous encrypted file (``previous=``) keeps the ciphertext of each
entry whose name, occurrence and raw value are unchanged, when that file decrypts with the same
key: a diff of the two shows the changed, added and removed values' lines and the header's
``mac``, nothing else, wherever in the file they are. Only ciphertexts that decryption verified
are kept, so a changed file can plant nothing; a ``:v1`` file keeps none (its values are bound
to other AADs), so it is converted, every value encrypted afresh, the first time.
"""

from __future__ import annotations

import contextlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client._fileheader import (
    BOM,
    HEADER_PREFIX,
    KEY_SIZE,
    NAME_BOUND,
    PASSPHRASE_KEY_VERSION,
    POSITION_BOUND,
    FileEnvironment,
    FileKey,
    b64decode,
    b64encode,
    decimal,
    environment_key,
    file_environment,
    first_line,
    format_version,
    is_encrypted,
    key_fields,
    malformed_header,
    passphrase_key,
    passphrase_key_for_header,
    read_header,
)
from envkeep.client._line_endings import converted_line_endings
from envkeep.core.dotenv import parse_dotenv, scan_dotenv
from envkeep.core.errors import (
    CryptoError,
    EnvkeepError,
    IntegrityError,
    UsageError,
    WrongPassphrase,
)
from envkeep.crypto import (
    envelope_key_version,
    from_text,
    hkdf_sha256,
    open_envelope,
    seal,
    to_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

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
    "key_matches",
    "passphrase_key",
    "passphrase_key_for_header",
    "read_header",
]

_CHECK_SIZE = 16
_VALUE_INFO = b"envkeep/v1/file-value-key"
_CHECK_INFO = b"envkeep/v1/file-check"
_MAC_INFO = b"envkeep/v1/file-mac"
_VALUE_AAD_LABELS = {
    NAME_BOUND: b"envkeep/v1/file-value-by-name",
    POSITION_BOUND: b"envkeep/v1/file-value",
}
_TAG_FIELDS = ["check", "mac"]
_QUOTES = ("'", '"')


# --- encrypt -----------------------------------------------------------------------------------


def encrypt_dotenv(
    text: str,
    key: FileKey,
    *,
    source: str | None = None,
    previous: str | None = None,
    others: Sequence[str] = (),
) -> str:
    """Encrypt every value of dotenv ``text``, keeping everything else byte for byte.

    ``previous`` is the encrypted file this one replaces, if any. If it decrypts with ``key``
    (key, every value and the whole file verified), an entry whose name, occurrence of its name
    and raw value are unchanged keeps its ciphertext wherever it now stands, so only changed,
    added or removed lines and the header's ``mac`` differ from it. Any other ``previous``
    (another key, damaged, edited, not encrypted, or in the ``:v1`` format) is ignored.
    ``others`` (a merge's other side) lend their ciphertexts the same way to an entry that
    ``previous`` has none for, so a value taken from them keeps their line.

    Raise ``UsageError`` if ``text`` is already encrypted and ``ParseError`` (with the line) if
    it is not valid dotenv.
    """
    if is_encrypted(text):
        raise UsageError(
            f"{source or 'the file'} is already encrypted",
            hint="decrypt it first with: envkeep decrypt",
        )
    kept: dict[tuple[int, str, str], str] = {}
    for lender in (*reversed(others), *([previous] if previous is not None else [])):
        kept |= _kept_tokens(lender, key)  # previous last: its ciphertexts win
    value_key = _subkey(key.key, _VALUE_INFO)
    replacements = []
    entries = scan_dotenv(text, source=source)
    for entry, place in zip(entries, _places(entries, NAME_BOUND), strict=True):
        raw = text[entry.value_start : entry.value_end]
        token = kept.get((place, entry.name, raw))
        if token is None:
            aad = _value_aad(NAME_BOUND, entry.name, place)
            token = to_text(seal(value_key, _encode(raw), aad, key_version=key.key_version))
        quote = raw[:1] if raw.startswith(_QUOTES) else ""
        replacements.append((entry, f"{quote}{token}{quote}"))
    return _signed(key, text, _splice(text, replacements))


def _kept_tokens(previous: str, key: FileKey) -> dict[tuple[int, str, str], str]:
    """The ciphertexts of ``previous`` by occurrence, name and raw value, if it is in the
    format written now, decrypts with ``key`` and each was sealed under ``key``'s version; none
    if anything fails. Each is the canonical text of an envelope that decrypted, under the same
    AAD, to that very value."""
    if format_version(previous) != NAME_BOUND:
        return {}
    try:
        opened = _open_file(previous, key.key, source=None)
    except EnvkeepError:
        return {}
    return {
        (value.place, value.entry.name, value.raw): to_text(value.envelope)
        for value in opened
        if envelope_key_version(value.envelope) == key.key_version
    }


def _signed(key: FileKey, text: str, body: str) -> str:
    """``body`` under a header with the key's check tag and the whole file's mac."""
    bom, body = (BOM, body[1:]) if body.startswith(BOM) else ("", body)  # the BOM stays first
    newline = "\r\n" if re.match(r"[^\n]*\r\n", text) else "\n"
    header = key_fields(key.header)  # in the format written now, whatever file it came from
    signed = f"{header} check={b64encode(_check_tag(key.key, header))}"
    mac = b64encode(_mac(key.key, bom + signed + newline + body))
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
    opened = _open_file(text, key_bytes, source=source)
    bom = BOM if text.startswith(BOM) else ""
    header_end = text.find("\n") + 1 or len(text)
    return bom + _splice(text, [(value.entry, value.raw) for value in opened], start=header_end)


def key_matches(text: str, key_bytes: bytes) -> bool:
    """Whether ``key_bytes`` is the key of encrypted file ``text`` (its header's check tag).

    False, never an error, for a file without a valid header; the values are not checked.
    """
    with contextlib.suppress(EnvkeepError):
        fields = read_header(text)
        if fields is not None and list(fields)[-2:] == _TAG_FIELDS:
            _verify_check(key_bytes, text, fields, "")
            return True
    return False


@dataclass(frozen=True, repr=False)
class _OpenedValue:
    """One entry of an encrypted file, verified: where its AAD binds it (see :func:`_places`),
    its raw plain value and its envelope."""

    entry: RawEntry
    place: int
    raw: str
    envelope: bytes


def _open_file(text: str, key_bytes: bytes, *, source: str | None) -> list[_OpenedValue]:
    """Every value of an encrypted file, checked in order: key, each value by line, the whole
    file (the errors of :func:`decrypt_dotenv`)."""
    where = f"{source}: " if source else ""
    fields = read_header(text)
    if fields is None:
        raise UsageError(
            f"{source or 'the file'} is not an envkeep-encrypted file (no header on line 1)",
            hint="encrypt it first with: envkeep encrypt",
        )
    if list(fields)[-2:] != _TAG_FIELDS:
        raise malformed_header()
    _verify_check(key_bytes, text, fields, where)
    key_version = decimal(fields, "key_version") if "env_id" in fields else PASSPHRASE_KEY_VERSION
    value_key = _subkey(key_bytes, _VALUE_INFO)
    version = format_version(text) or NAME_BOUND  # read_header refused any other
    entries = scan_dotenv(text, source=source)
    opened = [
        _open_value(
            value_key,
            entry,
            place,
            aad=_value_aad(version, entry.name, place),
            version=key_version,
            where=where,
        )
        for entry, place in zip(entries, _places(entries, version), strict=True)
    ]
    _verify_mac(key_bytes, text, fields["mac"], where)
    return opened


def decrypt_values(
    text: str, key_bytes: bytes, *, source: str | None = None, as_stored: bool = False
) -> dict[str, str]:
    """Decrypt a file and return its variables as ``parse_dotenv`` reads the original (in
    envkeep's stored form with ``as_stored``)."""
    plain = decrypt_dotenv(text, key_bytes, source=source)
    return parse_dotenv(plain, source=source, as_stored=as_stored).values


def _verify_check(key_bytes: bytes, text: str, fields: Mapping[str, str], where: str) -> None:
    # Field values hold no spaces, so the header's key fields end where " check=" starts.
    expected = _check_tag(key_bytes, first_line(text).partition(" check=")[0])
    if hmac.compare_digest(expected, b64decode(fields["check"], "check")):
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


def _open_value(
    value_key: bytes, entry: RawEntry, place: int, *, aad: bytes, version: int, where: str
) -> _OpenedValue:
    """``entry``'s value, sealed under ``aad`` (its name and ``place``, as the file's format
    binds them) and key ``version``; else an error naming its line."""
    at = f"{where}line {entry.line}"
    if not entry.value.startswith("enc:v1:"):
        raise IntegrityError(
            f"{at}: the value of {entry.name!r} is not encrypted",
            hint="edit the plain file and encrypt it again with: envkeep encrypt",
        )
    with contextlib.suppress(IntegrityError, UnicodeDecodeError):
        envelope = from_text(entry.value)
        raw = open_envelope(value_key, envelope, aad)
        if envelope_key_version(envelope) == version:
            return _OpenedValue(entry, place, raw.decode("utf-8", "surrogatepass"), envelope)
    raise IntegrityError(
        f"{at}: the encrypted value of {entry.name!r} failed verification: it was changed, "
        "or moved from another name or line",
        hint="restore the file from version control, or encrypt the plain file again",
    )


def _verify_mac(key_bytes: bytes, text: str, mac: str, where: str) -> None:
    if _mac_verifies(key_bytes, text, mac):
        return
    converted = converted_line_endings(text, lambda t: _mac_verifies(key_bytes, t, mac), where)
    raise converted or IntegrityError(
        f"{where}the file was changed outside its values: "
        "lines were added, removed, reordered or edited",
        hint="restore the file from version control, or encrypt the plain file again",
    )


def _mac_verifies(key_bytes: bytes, text: str, mac: str) -> bool:
    unsigned = text.replace(f" mac={mac}", "", 1)  # the first one is the header's last field
    return hmac.compare_digest(_mac(key_bytes, unsigned), b64decode(mac, "mac"))


# --- primitives --------------------------------------------------------------------------------


def _subkey(key: bytes, info: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise CryptoError(f"the file key must be {KEY_SIZE} bytes")
    return hkdf_sha256(key, salt=None, info=info, length=KEY_SIZE)


def _check_tag(key: bytes, signed_header: str) -> bytes:
    return hmac.digest(_subkey(key, _CHECK_INFO), _encode(signed_header), "sha256")[:_CHECK_SIZE]


def _mac(key: bytes, unsigned_text: str) -> bytes:
    return hmac.digest(_subkey(key, _MAC_INFO), _encode(unsigned_text), "sha256")


def _places(entries: Sequence[RawEntry], version: int) -> list[int]:
    """Where each entry's value is bound besides its name: in a ``NAME_BOUND`` file, how many
    entries of the same name come before it (so the occurrences of a name given twice, where
    the last wins, cannot be swapped); in a ``POSITION_BOUND`` one, its index in the file."""
    if version == POSITION_BOUND:
        return list(range(len(entries)))
    seen: Counter[str] = Counter()
    places = []
    for entry in entries:
        places.append(seen[entry.name])
        seen[entry.name] += 1
    return places


def _value_aad(version: int, name: str, place: int) -> bytes:
    parts = (_VALUE_AAD_LABELS[version], _encode(name), str(place).encode("ascii"))
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def _encode(text: str) -> bytes:
    # surrogatepass: any str round-trips, even one that no UTF-8 file could hold.
    return text.encode("utf-8", "surrogatepass")
