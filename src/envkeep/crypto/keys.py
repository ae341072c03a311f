"""Keys (DESIGN §4): a principal's X25519 and Ed25519 pairs, data keys and salts, and what is
derived from secrets: HKDF-SHA256 (RFC 5869), HMAC-SHA256 keys and Argon2id for passphrases.

HKDF and HMAC run on the standard library. :class:`HmacKey` hashes a key's pads once:
``envkeep run`` computes two MACs per variable (its name index and its verified-signature tag)
under one key each, and ``hmac.digest`` sets the key up again on every call, which costs three
times the hashing itself for a short message. The bytes are those of ``hmac.digest`` (tests
check it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from envkeep.core.errors import CryptoError
from envkeep.crypto import _pyca
from envkeep.crypto.encoding import KEY_SIZE, SALT_SIZE, require_key, utf8

_HASH_LEN = 32  # SHA-256 output, the HKDF block size
_FINGERPRINT_LABEL = b"envkeep/v1/fingerprint"
_AUTH_INFO = b"envkeep/v1/auth"
_WRAP_INFO = b"envkeep/v1/wrap"


# --- key pairs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKeys:
    """A principal's public keys: X25519 for receiving shares, Ed25519 for signing."""

    encryption: bytes
    signing: bytes

    def __post_init__(self) -> None:
        require_key(self.encryption, "an X25519 public key")
        require_key(self.signing, "an Ed25519 public key")

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
        require_key(self.encryption, "an X25519 private key")
        require_key(self.signing, "an Ed25519 private key")

    def __repr__(self) -> str:
        return "PrivateKeys(<redacted>)"

    __str__ = __repr__

    def public(self) -> PublicKeys:
        """Return the matching public keys."""
        encryption = _pyca.x25519_private(self.encryption).public_key()
        signing = _pyca.ed25519_private(self.signing).public_key()
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
    return PrivateKeys(
        encryption=_pyca.x25519_generate().private_bytes_raw(),
        signing=_pyca.ed25519_generate().private_bytes_raw(),
    )


def new_data_key() -> bytes:
    """Return a fresh 32-byte environment data key (DEK) from the OS random source."""
    return os.urandom(KEY_SIZE)


def new_salt() -> bytes:
    """Return a fresh 16-byte salt for Argon2id."""
    return os.urandom(SALT_SIZE)


# --- key derivation ---------------------------------------------------------------------------


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
    try:
        return _pyca.argon2id(
            password,
            salt,
            memory_kib=memory_kib,
            iterations=iterations,
            lanes=lanes,
            length=length,
            secret=secret,
            ad=ad,
        )
    except (ValueError, TypeError):
        raise CryptoError("invalid Argon2id parameters") from None
    except _pyca.UnsupportedAlgorithm:
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
    password = utf8(unicodedata.normalize("NFC", passphrase), "the passphrase")
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
    require_key(master, "the passphrase master key")
    auth_key = hkdf_sha256(master, salt=None, info=_AUTH_INFO, length=KEY_SIZE)
    wrap_key = hkdf_sha256(master, salt=None, info=_WRAP_INFO, length=KEY_SIZE)
    return auth_key, wrap_key


_BLOCK_SIZE = 64  # SHA-256's block size: a longer HMAC key would be hashed first
_IPAD = b"\x36" * _BLOCK_SIZE
_OPAD = b"\x5c" * _BLOCK_SIZE


def _xor(key: bytes, pad: bytes) -> bytes:
    return (int.from_bytes(key, "big") ^ int.from_bytes(pad, "big")).to_bytes(_BLOCK_SIZE, "big")


class HmacKey:
    """One HMAC-SHA256 key, ready to tag many messages; its repr never shows the key."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK_SIZE, b"\0")
        self._inner = hashlib.sha256(_xor(padded, _IPAD))
        self._outer = hashlib.sha256(_xor(padded, _OPAD))

    def __repr__(self) -> str:
        return "HmacKey(<redacted>)"

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message``: 32 bytes."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
