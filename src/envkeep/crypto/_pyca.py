"""The boundary to pyca/cryptography: the only module of envkeep that imports it.

AES-GCM, X25519 and Ed25519 come straight from its Rust bindings: the very objects its public
wrapper modules (``cryptography.hazmat.primitives…``) return, without the ~5 ms of wrapper and
OpenSSL-backend modules those import on the way to every ``envkeep run``. The one question the
X25519 wrappers ask that backend (is OpenSSL in FIPS mode, where X25519 is not allowed) is asked
here instead. Argon2id goes through the public module, loaded only when a passphrase is derived.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.bindings._rust import openssl as _openssl

# A plain flag, not typing's: `envkeep run`'s warm start imports this module and nothing of
# `typing` (mypy treats the name alike). For the same reason pyca's exception classes, whose
# module imports `typing`, are looked up on first use (`__getattr__` below).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from cryptography.exceptions import (
        InvalidSignature,
        InvalidTag,
        UnsupportedAlgorithm,
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "InvalidSignature",
    "InvalidTag",
    "UnsupportedAlgorithm",
    "aead",
    "argon2id",
    "ed25519_generate",
    "ed25519_private",
    "ed25519_public",
    "x25519_generate",
    "x25519_private",
    "x25519_public",
]


@functools.lru_cache(maxsize=64)
def aead(key: bytes) -> AESGCM:
    """The AES-GCM cipher of a key (one per key: an environment's values are opened thousands
    at a time)."""
    return _openssl.aead.AESGCM(key)


_EXCEPTIONS = ("InvalidSignature", "InvalidTag", "UnsupportedAlgorithm")


def __getattr__(name: str) -> type[Exception]:
    """pyca's exception classes, imported when an ``except`` clause first asks for one."""
    if name not in _EXCEPTIONS:
        raise AttributeError(f"module 'envkeep.crypto._pyca' has no attribute {name!r}")
    from cryptography import exceptions

    found: type[Exception] = getattr(exceptions, name)
    return found


def _require_x25519() -> None:
    if _openssl.is_fips_enabled():
        from envkeep.core.errors import CryptoError

        raise CryptoError("X25519 is not available: OpenSSL runs in FIPS mode")


def x25519_generate() -> X25519PrivateKey:
    _require_x25519()
    return _openssl.x25519.generate_key()


def x25519_private(raw: bytes) -> X25519PrivateKey:
    """ValueError for a key of the wrong length."""
    _require_x25519()
    return _openssl.x25519.from_private_bytes(raw)


def x25519_public(raw: bytes) -> X25519PublicKey:
    """ValueError for a key of the wrong length."""
    _require_x25519()
    return _openssl.x25519.from_public_bytes(raw)


def ed25519_generate() -> Ed25519PrivateKey:
    return _openssl.ed25519.generate_key()


@functools.lru_cache(maxsize=8)
def ed25519_private(raw: bytes) -> Ed25519PrivateKey:
    """ValueError for a key of the wrong length. Parsed once per key, as `aead` keeps a data
    key's cipher: a batch of thousands of writes (an import, a clone, a key rotation) signs
    every version with the one identity's key, and parsing it cost as much as each signature."""
    return _openssl.ed25519.from_private_bytes(raw)


@functools.lru_cache(maxsize=256)
def ed25519_public(raw: bytes) -> Ed25519PublicKey:
    """ValueError for a key of the wrong length. Parsed once per signer: an environment's
    versions have few authors."""
    return _openssl.ed25519.from_public_bytes(raw)


def argon2id(
    password: bytes,
    salt: bytes,
    *,
    memory_kib: int,
    iterations: int,
    lanes: int,
    length: int,
    secret: bytes | None,
    ad: bytes | None,
) -> bytes:
    """An Argon2id tag (RFC 9106); ValueError or TypeError for parameters it refuses,
    UnsupportedAlgorithm when this build lacks Argon2id."""
    # Loaded here so `envkeep run` with a cached key never pays for it.
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

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
