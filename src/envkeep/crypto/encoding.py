"""How protocol v1 encodes what it seals and signs: input checks, length-prefixed parts, the
associated data of a variable's fields, and the text form of an envelope (DESIGN §4).

Multi-part inputs (associated data, signed messages) are encoded unambiguously: each part is
preceded by its length as 4 big-endian bytes. Standard library only.
"""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING

from envkeep.core.errors import CryptoError, IntegrityError

if TYPE_CHECKING:
    from collections.abc import Iterable

FORMAT_VERSION = 1
TEXT_PREFIX = "enc:v1:"

KEY_SIZE = 32
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
SIGNATURE_SIZE = 64
HEADER_SIZE = 1 + 4  # format version, key version
PAYLOAD = HEADER_SIZE + NONCE_SIZE  # where an envelope's ciphertext starts
MIN_ENVELOPE = PAYLOAD + TAG_SIZE
MAX_KEY_VERSION = 2**32 - 1

_FIELD_AAD_LABEL = b"envkeep/v1"
_FIELDS = ("name", "value")

_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_BASE64URL_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# --- input checks and parts --------------------------------------------------------------------


def require_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise CryptoError(f"{what} must be {KEY_SIZE} bytes")


def require_key_version(key_version: int) -> None:
    if (
        not isinstance(key_version, int)
        or isinstance(key_version, bool)
        or not 0 <= key_version <= MAX_KEY_VERSION
    ):
        raise CryptoError(f"key_version must be an integer from 0 to {MAX_KEY_VERSION}")


def utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError(f"{what} is not valid Unicode text") from None


def length_prefixed(parts: Iterable[bytes]) -> bytes:
    encoded = []
    try:
        for part in parts:
            encoded.append(len(part).to_bytes(4, "big"))
            encoded.append(part)
    except OverflowError:  # a length that does not fit its 4 bytes
        raise CryptoError("a part is too long to encode (4 GiB or more)") from None
    return b"".join(encoded)


# --- the text form of an envelope -------------------------------------------------------------


def to_text(envelope: bytes) -> str:
    """Render an envelope as ``enc:v1:`` followed by unpadded base64url."""
    encoded = binascii.b2a_base64(envelope, newline=False).translate(_TO_URLSAFE)
    return TEXT_PREFIX + encoded.rstrip(b"=").decode("ascii")


def from_text(text: str) -> bytes:
    """Parse the output of :func:`to_text`; IntegrityError on a bad prefix or bad base64url."""
    if not isinstance(text, str) or not text.startswith(TEXT_PREFIX):
        raise IntegrityError(f"encrypted text must start with {TEXT_PREFIX!r}")
    body = text[len(TEXT_PREFIX) :]
    if not body.isascii() or not _BASE64URL_ALPHABET.issuperset(body.encode("ascii")):
        raise IntegrityError("encrypted text is not valid base64url")
    padded = body.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(body) % 4)
    try:
        raw = binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error:
        raise IntegrityError("encrypted text is not valid base64url") from None
    if to_text(raw) != text:  # unused trailing bits set: not the canonical encoding
        raise IntegrityError("encrypted text is not valid base64url")
    return raw


# --- where a variable's fields are sealed -----------------------------------------------------


def field_aad(
    *, env_id: str, scope: str, secret_id: str, version: int, key_version: int, field: str
) -> bytes:
    """Associated data binding a variable's name or value to its place (DESIGN §4)."""
    if field not in _FIELDS:
        raise CryptoError("field must be 'name' or 'value'")
    name_aad, value_aad = field_aads(
        env_id=env_id, scope=scope, secret_id=secret_id, version=version, key_version=key_version
    )
    return name_aad if field == "name" else value_aad


_FIELD_TAILS = (length_prefixed([b"name"]), length_prefixed([b"value"]))


def field_aads(
    *, env_id: str, scope: str, secret_id: str, version: int, key_version: int
) -> tuple[bytes, bytes]:
    """The name's and the value's associated data of one version, built together (the same
    bytes as two :func:`field_aad` calls)."""
    return FieldAads(env_id)(scope, secret_id, version, key_version)


class FieldAads:
    """:func:`field_aads` for the versions of one environment, for reading thousands at a time:
    the environment's and each scope's encoded parts, and each number's, are made once."""

    __slots__ = ("_common", "_numbers", "_scopes")

    def __init__(self, env_id: str) -> None:
        self._common = _FIELD_AAD_LABEL + length_prefixed([utf8(env_id, "env_id")])
        self._scopes: dict[str, bytes] = {}
        self._numbers: dict[int, bytes] = {}

    def __call__(
        self, scope: str, secret_id: str, version: int, key_version: int
    ) -> tuple[bytes, bytes]:
        # The checks of require_key_version and utf8, written out: this runs per variable.
        if type(version) is not int or version < 0:  # bool is not a version either
            raise CryptoError("version must be a non-negative integer")
        if type(key_version) is not int or not 0 <= key_version <= MAX_KEY_VERSION:
            require_key_version(key_version)  # raises
        try:
            secret = secret_id.encode()
        except UnicodeEncodeError:
            secret = utf8(secret_id, "secret_id")  # raises
        head = self._scopes.get(scope) or self._scope(scope)
        numbers = self._numbers
        common = b"".join(
            (
                head,
                len(secret).to_bytes(4, "big"),
                secret,
                numbers.get(version) or self._number(version),
                numbers.get(key_version) or self._number(key_version),
            )
        )
        return common + _FIELD_TAILS[0], common + _FIELD_TAILS[1]

    def _scope(self, scope: str) -> bytes:
        head = self._scopes[scope] = self._common + length_prefixed([utf8(scope, "scope")])
        return head

    def _number(self, number: int) -> bytes:
        encoded = self._numbers[number] = length_prefixed([b"%d" % number])
        return encoded
