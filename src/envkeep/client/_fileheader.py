"""The header line of an encrypted dotenv file (``client/filecrypt.py``) and the file keys it
names: a passphrase's Argon2id salt and costs, or an environment's label, id and key version.

The header's first word says the format: ``:v2`` (written now) binds each value to its name,
``:v1`` (read only, written before) bound it to its entry's position as well.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import CryptoError, IntegrityError, UsageError
from envkeep.crypto import DEFAULT_KDF, KdfParams, derive_passphrase_key, hkdf_sha256, new_salt

if TYPE_CHECKING:
    from collections.abc import Mapping

NAME_BOUND = 2  # each value's AAD holds its name (and which occurrence of it), not its position
POSITION_BOUND = 1  # files written before: each value's AAD held its entry's index
_PREFIXES = {version: f"# envkeep-encrypted:v{version}" for version in (POSITION_BOUND, NAME_BOUND)}
HEADER_PREFIX = _PREFIXES[NAME_BOUND]  # what encrypt writes
ANY_VERSION_PREFIX = "# envkeep-encrypted:"
BOM = "\ufeff"
KEY_SIZE = 32
PASSPHRASE_KEY_VERSION = 1  # a passphrase file has no key rotation; its envelopes say 1
_MAX_KEY_VERSION = 2**32 - 1
_MAX_KDF = KdfParams(memory_kib=4 * 1024 * 1024, iterations=64, lanes=64)

_ENVIRONMENT_INFO = b"envkeep/v1/file|"
_PASSPHRASE_INFO = b"envkeep/v1/file-passphrase"

_FIELDS_RE = re.compile(r"(?: [a-z_]+=[^\s=]+)*")
_FIELD_VALUE_RE = re.compile(r"[^\s=]+")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]{0,9}")
_PASSPHRASE_FIELDS = ("kdf", "salt", "m", "t", "p")
_ENVIRONMENT_FIELDS = ("env", "env_id", "key_version")


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class FileKey:
    """The 32-byte key of an encrypted dotenv file and the header line that finds it again.

    ``header`` holds no secret: the Argon2id salt and costs, or the environment's label, id and
    key version. ``key_version`` is recorded in every value's envelope. The repr is masked.
    """

    key: bytes
    header: str
    key_version: int = PASSPHRASE_KEY_VERSION

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
        f"{HEADER_PREFIX} kdf=argon2id salt={b64encode(salt)} "
        f"m={params.memory_kib} t={params.iterations} p={params.lanes}"
    )
    key = hkdf_sha256(master, salt=None, info=_PASSPHRASE_INFO, length=KEY_SIZE)
    return FileKey(key=key, header=header)


def environment_key(dek: bytes, *, env_id: str, key_version: int, label: str) -> FileKey:
    """Derive a file key from an environment data key: HKDF(dek, "envkeep/v1/file|" ‖ env_id)."""
    if not isinstance(dek, bytes) or len(dek) != KEY_SIZE:
        raise CryptoError(f"the environment data key must be {KEY_SIZE} bytes")
    if isinstance(key_version, bool) or not 0 <= key_version <= _MAX_KEY_VERSION:
        raise CryptoError(f"key_version must be an integer from 0 to {_MAX_KEY_VERSION}")
    for what, text in (("environment label", label), ("environment id", env_id)):
        if _FIELD_VALUE_RE.fullmatch(text) is None:
            raise UsageError(f"the {what} must be non-empty, without spaces or '='")
    info = _ENVIRONMENT_INFO + env_id.encode("utf-8", "surrogatepass")
    key = hkdf_sha256(dek, salt=None, info=info, length=KEY_SIZE)
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
        memory_kib=decimal(header, "m"),
        iterations=decimal(header, "t"),
        lanes=decimal(header, "p"),
    )
    if (
        params.memory_kib > _MAX_KDF.memory_kib
        or params.iterations > _MAX_KDF.iterations
        or (params.lanes > _MAX_KDF.lanes)
    ):
        raise CryptoError("the file's header asks for unreasonably costly key derivation")
    return passphrase_key(passphrase, salt=b64decode(header["salt"], "salt"), params=params)


def file_environment(header: Mapping[str, str]) -> FileEnvironment:
    """Say which environment's data key decrypts a file (see :func:`read_header`)."""
    if "env_id" not in header:
        raise UsageError(
            "this file is encrypted with a passphrase, not an environment key",
            hint="decrypt it with --passphrase",
        )
    return FileEnvironment(
        label=header["env"], env_id=header["env_id"], key_version=decimal(header, "key_version")
    )


# --- the header --------------------------------------------------------------------------------


def is_encrypted(text: str) -> bool:
    """Return whether ``text`` starts with an envkeep encrypted-file header (of any version)."""
    return first_line(text).startswith(ANY_VERSION_PREFIX)


def read_header(text: str) -> dict[str, str] | None:
    """Return the fields of the header line, in order, or None if ``text`` has no header.

    Raise ``IntegrityError`` if the first line is an envkeep header that is malformed, lacks a
    field its kind of key needs, or comes from another format version.
    """
    line = first_line(text)
    if not line.startswith(ANY_VERSION_PREFIX):
        return None
    version = format_version(text)
    if version is None:
        raise IntegrityError(
            "the file was encrypted in a format this envkeep does not know",
            hint="upgrade envkeep to decrypt it",
        )
    rest = line.removeprefix(_PREFIXES[version])
    if _FIELDS_RE.fullmatch(rest) is None:
        raise malformed_header()
    pairs = [field.partition("=") for field in rest.split(" ")[1:]]
    fields = {name: value for name, _, value in pairs}
    if len(fields) != len(pairs):
        raise malformed_header()
    required = _PASSPHRASE_FIELDS if "kdf" in fields else _ENVIRONMENT_FIELDS
    if any(name not in fields for name in required) or fields.get("kdf", "argon2id") != "argon2id":
        raise malformed_header()
    return fields


def format_version(text: str) -> int | None:
    """The format of the file ``text`` by its header's first word (``NAME_BOUND`` or
    ``POSITION_BOUND``); None without a header of a format this envkeep knows."""
    line = first_line(text)
    for version, prefix in _PREFIXES.items():
        rest = line.removeprefix(prefix)
        if rest != line and (not rest or rest.startswith(" ")):
            return version
    return None


def key_fields(text: str) -> str:
    """The header a file key of the file ``text`` writes now: its key fields (Argon2id salt and
    costs, or environment) under the current format's prefix, without the check tag or mac.
    The same for every file of one key, whichever format wrote it."""
    line = first_line(text).partition(" check=")[0]
    version = format_version(text)
    return line if version is None else HEADER_PREFIX + line.removeprefix(_PREFIXES[version])


def first_line(text: str) -> str:
    return text.removeprefix(BOM).partition("\n")[0].removesuffix("\r")


def malformed_header() -> IntegrityError:
    return IntegrityError(
        "the envkeep header on line 1 is malformed: the file was damaged or edited",
        hint="restore the file from version control, or encrypt the plain file again",
    )


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64decode(text: str, field: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise IntegrityError(f"the header's {field} field is not valid base64url") from None
    if b64encode(raw) != text:
        raise IntegrityError(f"the header's {field} field is not valid base64url")
    return raw


def decimal(fields: Mapping[str, str], name: str) -> int:
    text = fields.get(name, "")
    if _DECIMAL_RE.fullmatch(text) is None:
        raise malformed_header()
    return int(text)
