"""envkeep's cryptography, protocol v1 (DESIGN §4); the only module that imports ``cryptography``.

Primitives: AES-256-GCM with random 96-bit nonces, X25519, Ed25519, HKDF-SHA256 (RFC 5869, on the
standard library), HMAC-SHA256 and Argon2id. Every ciphertext is a versioned envelope::

    version (1 byte, = FORMAT_VERSION) | key_version (4 bytes, big-endian) | nonce (12) | ct || tag

The 5 header bytes are prepended to the caller's associated data, so neither can be changed
unnoticed. Multi-part inputs (associated data, signed messages) are encoded unambiguously: each
part is preceded by its length as 4 big-endian bytes.

This module is on the hot path of ``envkeep run``: it takes AES-GCM, X25519 and Ed25519 straight
from pyca/cryptography's Rust bindings (the very objects its public wrapper modules return,
without the ~5 ms of wrapper and OpenSSL-backend modules those import), and loads Argon2id (and
``unicodedata``) only when a passphrase is derived.
Failures raise :class:`CryptoError` (bad input from the caller) or :class:`IntegrityError`
(tampered, mis-addressed or mis-signed data). No message ever contains key material.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.bindings._rust import openssl as _openssl

from envkeep._hmac_sha256 import HmacKey
from envkeep.core.errors import CryptoError, IntegrityError, WrongPassphrase

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "DEFAULT_KDF",
    "FORMAT_VERSION",
    "TEXT_PREFIX",
    "KdfParams",
    "PrivateKeys",
    "PublicKeys",
    "argon2id_raw",
    "derive_passphrase_key",
    "envelope_key_version",
    "field_aad",
    "from_text",
    "generate_keys",
    "hkdf_sha256",
    "name_index",
    "new_data_key",
    "new_salt",
    "open_envelope",
    "open_share",
    "seal",
    "seal_share",
    "sign",
    "split_passphrase_key",
    "to_text",
    "unwrap_private_keys",
    "verify",
    "wrap_private_keys",
]

FORMAT_VERSION = 1
TEXT_PREFIX = "enc:v1:"

KEY_SIZE = 32
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
SIGNATURE_SIZE = 64
_HEADER_SIZE = 1 + 4
_PAYLOAD = _HEADER_SIZE + NONCE_SIZE  # where the ciphertext starts
_MIN_ENVELOPE = _PAYLOAD + TAG_SIZE
_SHARE_PREFIX = 1 + KEY_SIZE + SIGNATURE_SIZE
_MAX_KEY_VERSION = 2**32 - 1
_MAX_PART = 2**32 - 1  # a part's length must fit its 4-byte prefix
_HASH_LEN = 32  # SHA-256 output, the HKDF block size

_FINGERPRINT_LABEL = b"envkeep/v1/fingerprint"
_FIELD_AAD_LABEL = b"envkeep/v1"
_SIG_LABEL = b"envkeep/v1/sig"
_SHARE_LABEL = b"envkeep/v1/share"
_AUTH_INFO = b"envkeep/v1/auth"
_WRAP_INFO = b"envkeep/v1/wrap"
_NAME_INDEX_INFO = b"envkeep/v1/name-index"
_PRIVATE_KEYS_AAD = b"envkeep/v1/private-keys"
_FIELDS = ("name", "value")

_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_BASE64URL_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


# --- input checks and encoding ----------------------------------------------------------------


def _require_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise CryptoError(f"{what} must be {KEY_SIZE} bytes")


def _require_key_version(key_version: int) -> None:
    if (
        not isinstance(key_version, int)
        or isinstance(key_version, bool)
        or not 0 <= key_version <= _MAX_KEY_VERSION
    ):
        raise CryptoError(f"key_version must be an integer from 0 to {_MAX_KEY_VERSION}")


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise CryptoError(f"{what} is not valid Unicode text") from None


def _length_prefixed(parts: Iterable[bytes]) -> bytes:
    encoded = []
    try:
        for part in parts:
            encoded.append(len(part).to_bytes(4, "big"))
            encoded.append(part)
    except OverflowError:  # a length that does not fit its 4 bytes
        raise CryptoError("a part is too long to encode (4 GiB or more)") from None
    return b"".join(encoded)


# --- the primitives, from the Rust bindings ----------------------------------------------------


def _require_x25519() -> None:
    # The one check the public X25519 wrapper makes before calling the same binding.
    if _openssl.is_fips_enabled():
        raise CryptoError("X25519 is not available: OpenSSL runs in FIPS mode")


def _x25519_private(raw: bytes) -> X25519PrivateKey:
    _require_x25519()
    return _openssl.x25519.from_private_bytes(raw)


@functools.lru_cache(maxsize=256)
def _ed25519_public(raw: bytes) -> Ed25519PublicKey:
    # Parsed once per signer: an environment's versions have few authors.
    return _openssl.ed25519.from_public_bytes(raw)


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKeys:
    """A principal's public keys: X25519 for receiving shares, Ed25519 for signing."""

    encryption: bytes
    signing: bytes

    def __post_init__(self) -> None:
        _require_key(self.encryption, "an X25519 public key")
        _require_key(self.signing, "an Ed25519 public key")

    def fingerprint(self) -> str:
        """Return a short, human-comparable fingerprint: 16 bytes of SHA-256 as 8 hex groups."""
        digest = hashlib.sha256(_FINGERPRINT_LABEL + self.encryption + self.signing).digest()
        hex_digits = digest[:16].hex()
        return " ".join(hex_digits[i : i + 4] for i in range(0, len(hex_digits), 4))


@dataclass(frozen=True, repr=False)
class PrivateKeys:
    """A principal's private keys (X25519 private key, Ed25519 seed); repr and str are masked."""

    encryption: bytes
    signing: bytes

    def __post_init__(self) -> None:
        _require_key(self.encryption, "an X25519 private key")
        _require_key(self.signing, "an Ed25519 private key")

    def __repr__(self) -> str:
        return "PrivateKeys(<redacted>)"

    __str__ = __repr__

    def public(self) -> PublicKeys:
        """Return the matching public keys."""
        encryption = _x25519_private(self.encryption).public_key()
        signing = _openssl.ed25519.from_private_bytes(self.signing).public_key()
        return PublicKeys(
            encryption=encryption.public_bytes_raw(), signing=signing.public_bytes_raw()
        )

    def to_bytes(self) -> bytes:
        """Serialise as 64 bytes: the encryption key followed by the signing seed."""
        return self.encryption + self.signing

    @classmethod
    def from_bytes(cls, raw: bytes) -> PrivateKeys:
        """Parse the 64-byte form made by :meth:`to_bytes`; CryptoError on any other length."""
        if not isinstance(raw, bytes) or len(raw) != 2 * KEY_SIZE:
            raise CryptoError(f"private key material must be {2 * KEY_SIZE} bytes")
        return cls(encryption=raw[:KEY_SIZE], signing=raw[KEY_SIZE:])


def generate_keys() -> PrivateKeys:
    """Generate a fresh X25519 + Ed25519 key pair for a user or service account."""
    _require_x25519()
    return PrivateKeys(
        encryption=_openssl.x25519.generate_key().private_bytes_raw(),
        signing=_openssl.ed25519.generate_key().private_bytes_raw(),
    )


def new_data_key() -> bytes:
    """Return a fresh 32-byte environment data key (DEK) from the OS random source."""
    return os.urandom(KEY_SIZE)


def new_salt() -> bytes:
    """Return a fresh 16-byte salt for Argon2id."""
    return os.urandom(SALT_SIZE)


# --- key derivation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters; the defaults are also the floor a client accepts (DESIGN §4)."""

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def check_floor(self) -> None:
        """Raise CryptoError if any parameter is weaker than 64 MiB, 3 passes, 4 lanes."""
        floor = _KDF_FLOOR
        if (
            self.memory_kib < floor.memory_kib
            or self.iterations < floor.iterations
            or self.lanes < floor.lanes
        ):
            raise CryptoError(
                "refusing weak Argon2id parameters "
                f"(memory {self.memory_kib} KiB, {self.iterations} passes, {self.lanes} lanes); "
                f"the floor is memory {floor.memory_kib} KiB, {floor.iterations} passes, "
                f"{floor.lanes} lanes",
                hint="the server or key file asked for weaker key derivation than envkeep allows; "
                "do not enter your passphrase and report this to your administrator",
            )


_KDF_FLOOR = KdfParams()
DEFAULT_KDF = KdfParams()


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """Derive ``length`` bytes with HKDF-SHA256 (RFC 5869); no salt means 32 zero bytes."""
    if not 0 < length <= 255 * _HASH_LEN:
        raise CryptoError(f"HKDF-SHA256 output length must be from 1 to {255 * _HASH_LEN}")
    prk = hmac.digest(salt or bytes(_HASH_LEN), ikm, "sha256")
    okm = bytearray()
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        okm += block
        counter += 1
    return bytes(okm[:length])


def argon2id_raw(
    password: bytes,
    salt: bytes,
    *,
    memory_kib: int,
    iterations: int,
    lanes: int,
    length: int,
    secret: bytes | None = None,
    ad: bytes | None = None,
) -> bytes:
    """Compute an Argon2id tag (RFC 9106) with no parameter floor; use derive_passphrase_key."""
    # Loaded here so `envkeep run` with a cached key never pays for it.
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    try:
        kdf = Argon2id(
            salt=salt,
            length=length,
            iterations=iterations,
            lanes=lanes,
            memory_cost=memory_kib,
            ad=ad,
            secret=secret,
        )
        return kdf.derive(password)
    except (ValueError, TypeError):
        raise CryptoError("invalid Argon2id parameters") from None
    except UnsupportedAlgorithm:
        raise CryptoError(
            "Argon2id is not available in this build of the cryptography library",
            hint="upgrade it: pip install 'cryptography>=44'",
        ) from None


def derive_passphrase_key(passphrase: str, salt: bytes, params: KdfParams = DEFAULT_KDF) -> bytes:
    """Derive the 32-byte master key from a passphrase with Argon2id, refusing weak parameters.

    The passphrase is normalised to Unicode NFC before UTF-8 encoding, so the same passphrase
    typed on systems that compose accents differently derives the same key.
    """
    import unicodedata

    params.check_floor()
    if not isinstance(salt, bytes) or len(salt) < SALT_SIZE:
        raise CryptoError(f"the Argon2id salt must be at least {SALT_SIZE} bytes")
    password = _utf8(unicodedata.normalize("NFC", passphrase), "the passphrase")
    return argon2id_raw(
        password,
        salt,
        memory_kib=params.memory_kib,
        iterations=params.iterations,
        lanes=params.lanes,
        length=KEY_SIZE,
    )


def split_passphrase_key(master: bytes) -> tuple[bytes, bytes]:
    """Split the master key into ``(auth_key, wrap_key)``; only auth_key is sent to a server."""
    _require_key(master, "the passphrase master key")
    auth_key = hkdf_sha256(master, salt=None, info=_AUTH_INFO, length=KEY_SIZE)
    wrap_key = hkdf_sha256(master, salt=None, info=_WRAP_INFO, length=KEY_SIZE)
    return auth_key, wrap_key


# --- envelopes ---------------------------------------------------------------------------------


def _header(key_version: int) -> bytes:
    return bytes([FORMAT_VERSION]) + key_version.to_bytes(4, "big")


@functools.lru_cache(maxsize=64)
def _aead(key: bytes) -> AESGCM:
    # One cipher object per key: an environment's values are opened thousands at a time.
    return _openssl.aead.AESGCM(key)


def seal(key: bytes, plaintext: bytes, aad: bytes, *, key_version: int) -> bytes:
    """Encrypt with AES-256-GCM into a v1 envelope bound to ``aad`` and ``key_version``."""
    _require_key(key, "an AES-256-GCM key")
    _require_key_version(key_version)
    header = _header(key_version)
    nonce = os.urandom(NONCE_SIZE)
    return header + nonce + _aead(key).encrypt(nonce, plaintext, header + aad)


def envelope_key_version(envelope: bytes) -> int:
    """Return the key version recorded in an envelope's header; IntegrityError if malformed."""
    if len(envelope) < _MIN_ENVELOPE:
        raise IntegrityError("encrypted data is truncated")
    if envelope[0] != FORMAT_VERSION:
        raise IntegrityError(
            f"encrypted data has format version {envelope[0]}, expected {FORMAT_VERSION}",
            hint="it may come from a newer envkeep: upgrade this client",
        )
    return int.from_bytes(envelope[1:_HEADER_SIZE], "big")


def open_envelope(key: bytes, envelope: bytes, aad: bytes) -> bytes:
    """Decrypt a v1 envelope; IntegrityError if it was changed, moved or sealed with another key."""
    return EnvelopeKey(key).open(envelope, aad)


class EnvelopeKey:
    """:func:`open_envelope` under one key, checked once, for opening thousands of envelopes."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        _require_key(key, "an AES-256-GCM key")
        self._aead = _aead(key)

    def __repr__(self) -> str:
        return "EnvelopeKey(<redacted>)"

    def open(self, envelope: bytes, aad: bytes) -> bytes:
        """Decrypt a v1 envelope; IntegrityError as :func:`open_envelope`."""
        if len(envelope) < _MIN_ENVELOPE or envelope[0] != FORMAT_VERSION:
            envelope_key_version(envelope)  # raises the matching IntegrityError
        try:
            return self._aead.decrypt(
                envelope[_HEADER_SIZE:_PAYLOAD], envelope[_PAYLOAD:], envelope[:_HEADER_SIZE] + aad
            )
        except InvalidTag:
            raise IntegrityError(
                "encrypted data failed verification: it was changed, moved, "
                "or sealed with another key"
            ) from None


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


# --- variables ---------------------------------------------------------------------------------


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


_FIELD_TAILS = (_length_prefixed([b"name"]), _length_prefixed([b"value"]))


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
        self._common = _FIELD_AAD_LABEL + _length_prefixed([_utf8(env_id, "env_id")])
        self._scopes: dict[str, bytes] = {}
        self._numbers: dict[int, bytes] = {}

    def __call__(
        self, scope: str, secret_id: str, version: int, key_version: int
    ) -> tuple[bytes, bytes]:
        if type(version) is not int or version < 0:  # bool is not a version either
            raise CryptoError("version must be a non-negative integer")
        _require_key_version(key_version)
        head = self._scopes.get(scope) or self._scope(scope)
        numbers = self._numbers
        secret = _utf8(secret_id, "secret_id")
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
        head = self._scopes[scope] = self._common + _length_prefixed([_utf8(scope, "scope")])
        return head

    def _number(self, number: int) -> bytes:
        encoded = self._numbers[number] = _length_prefixed([b"%d" % number])
        return encoded


def name_index(dek: bytes, name: str) -> bytes:
    """Return the server's lookup tag for a variable name: HMAC-SHA256 under the index key."""
    _require_key(dek, "the environment data key")
    return _index_key(dek).digest(_utf8(name, "the variable name"))


def name_index_key(dek: bytes) -> HmacKey:
    """The name index's HMAC key of a data key: ``name_index(dek, n)`` is its digest of n's
    UTF-8 bytes (for indexing thousands of names)."""
    _require_key(dek, "the environment data key")
    return _index_key(dek)


@functools.lru_cache(maxsize=64)
def _index_key(dek: bytes) -> HmacKey:
    # Derived once per data key: an environment's names are indexed thousands at a time.
    return HmacKey(hkdf_sha256(dek, salt=None, info=_NAME_INDEX_INFO, length=KEY_SIZE))


# --- signatures --------------------------------------------------------------------------------


def _signed_message(parts: Sequence[bytes]) -> bytes:
    return _SIG_LABEL + _length_prefixed(parts)


def sign(keys: PrivateKeys, parts: Sequence[bytes]) -> bytes:
    """Sign ``parts`` (length-prefixed, domain-separated) with the Ed25519 key; 64 bytes."""
    return _openssl.ed25519.from_private_bytes(keys.signing).sign(_signed_message(parts))


def verify(signer: PublicKeys, signature: bytes, parts: Sequence[bytes]) -> None:
    """Check a signature made by :func:`sign`; IntegrityError if it does not match ``signer``."""
    if len(signature) != SIGNATURE_SIZE:
        raise IntegrityError("signature is malformed")
    try:
        _ed25519_public(signer.signing).verify(signature, _signed_message(parts))
    except (InvalidSignature, ValueError):
        raise IntegrityError(
            "signature does not verify: the data was changed or signed by someone else"
        ) from None


def verification_cache_key(keys: PrivateKeys) -> HmacKey:
    """A key, private to one identity, for remembering which signatures it has verified."""
    return HmacKey(
        hkdf_sha256(keys.signing, salt=None, info=b"envkeep/v1/verified-signatures", length=32)
    )


def verification_tag(
    cache_key: HmacKey, signer: PublicKeys, signature: bytes, parts: Sequence[bytes]
) -> bytes:
    """16 bytes that stand for "``signature`` by ``signer`` over ``parts`` verified".

    HMAC-SHA256 under :func:`verification_cache_key` of the signer's key, the signature and
    the SHA-256 of the signed message, so whoever lacks the identity's private key cannot make
    a tag that passes for a verified signature.
    """
    digest = hashlib.sha256(_signed_message(parts)).digest()
    return cache_key.digest(signer.signing + signature + digest)[:16]


def invite_key_proof(invite_secret: str, public: PublicKeys) -> str:
    """What an invitee sends with its public keys: an HMAC under the invite's one-time secret,
    which only the inviter also knows, so the inviter can tell the server handed out the
    invitee's real keys (DESIGN §4, Trust)."""
    message = b"envkeep/v1/invite-key" + public.encryption + public.signing
    return hmac.new(_utf8(invite_secret, "the invite secret"), message, "sha256").hexdigest()


# --- shares of an environment data key ---------------------------------------------------------


def _share_aad(env_id: str, key_version: int, recipient_id: str) -> bytes:
    _require_key_version(key_version)
    return _length_prefixed(
        (
            _SHARE_LABEL,
            _utf8(env_id, "env_id"),
            str(key_version).encode("ascii"),
            _utf8(recipient_id, "recipient_id"),
        )
    )


def _share_key(shared_secret: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    return hkdf_sha256(
        shared_secret, salt=eph_pub + recipient_pub, info=_SHARE_LABEL, length=KEY_SIZE
    )


def seal_share(
    dek: bytes,
    *,
    env_id: str,
    key_version: int,
    recipient_id: str,
    recipient: PublicKeys,
    sharer: PrivateKeys,
) -> bytes:
    """Seal an environment data key to one principal and sign it as the sharer (DESIGN §4)."""
    _require_key(dek, "the environment data key")
    aad = _share_aad(env_id, key_version, recipient_id)
    _require_x25519()
    ephemeral = _openssl.x25519.generate_key()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(_openssl.x25519.from_public_bytes(recipient.encryption))
    except ValueError:  # a low-order point: the exchange would give all zeros
        raise CryptoError("the recipient's encryption key is not a usable X25519 key") from None
    envelope = seal(
        _share_key(shared, eph_pub, recipient.encryption), dek, aad, key_version=key_version
    )
    signature = sign(sharer, (aad, eph_pub, envelope))
    return bytes([FORMAT_VERSION]) + eph_pub + signature + envelope


def open_share(
    sealed: bytes,
    *,
    env_id: str,
    key_version: int,
    recipient_id: str,
    recipient: PrivateKeys,
    sharer: PublicKeys,
) -> bytes:
    """Verify a share's signature, then decrypt the data key; IntegrityError on any mismatch."""
    if len(sealed) < _SHARE_PREFIX + _MIN_ENVELOPE or sealed[0] != FORMAT_VERSION:
        raise IntegrityError("the shared environment key is malformed or truncated")
    aad = _share_aad(env_id, key_version, recipient_id)
    eph_pub = sealed[1 : 1 + KEY_SIZE]
    signature = sealed[1 + KEY_SIZE : _SHARE_PREFIX]
    envelope = sealed[_SHARE_PREFIX:]
    verify(sharer, signature, (aad, eph_pub, envelope))
    if envelope_key_version(envelope) != key_version:
        raise IntegrityError("the shared environment key is for another key version")
    own_private = _x25519_private(recipient.encryption)
    own_public = own_private.public_key().public_bytes_raw()
    try:
        shared = own_private.exchange(_openssl.x25519.from_public_bytes(eph_pub))
    except ValueError:
        raise IntegrityError("the shared environment key has an unusable ephemeral key") from None
    try:
        dek = open_envelope(_share_key(shared, eph_pub, own_public), envelope, aad)
    except IntegrityError:
        raise IntegrityError(
            "could not open the shared environment key: it is not addressed to this principal"
        ) from None
    if len(dek) != KEY_SIZE:
        raise IntegrityError("the shared environment key has the wrong length")
    return dek


# --- private keys at rest ----------------------------------------------------------------------


def wrap_private_keys(keys: PrivateKeys, wrap_key: bytes) -> bytes:
    """Encrypt private keys under a wrap key derived from a passphrase or a token secret."""
    return seal(wrap_key, keys.to_bytes(), _PRIVATE_KEYS_AAD, key_version=1)


def unwrap_private_keys(blob: bytes, wrap_key: bytes) -> PrivateKeys:
    """Decrypt private keys wrapped by :func:`wrap_private_keys`; WrongPassphrase on failure."""
    _require_key(wrap_key, "the key-wrapping key")
    try:
        return PrivateKeys.from_bytes(open_envelope(wrap_key, blob, _PRIVATE_KEYS_AAD))
    except CryptoError:
        raise WrongPassphrase(
            "could not unlock the private keys: wrong passphrase or damaged key file",
            hint="check the passphrase and try again; if it is right, log in again to fetch "
            "the key file from the server",
        ) from None
