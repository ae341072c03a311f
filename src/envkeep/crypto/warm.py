"""The key and the sealing of `envkeep run`'s cache of resolved environments
(``client/runcache.py``): light enough to load before anything else on `run`'s warm start.

The cache key is keyed BLAKE2b (RFC 7693, a PRF) of a label under the identity's raw private
keys, so only the holder of those keys can read or forge a cache entry, and a new or re-wrapped
identity opens none of the old ones. BLAKE2b rather than HMAC-SHA256 because hashlib's own
BLAKE2 module loads without OpenSSL (about 2 ms of every warm run); the cache never leaves the
machine, so no other client needs to compute this key. Entries are AES-256-GCM with a random
nonce; the associated data names what the entry is for (project file, environment, service,
options), so an entry cannot be swapped for another's.
"""

from __future__ import annotations

import os

from envkeep.crypto import _pyca

try:
    from _blake2 import blake2b  # hashlib.blake2b itself, without hashlib's OpenSSL
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

CACHE_KEY_LABEL = b"envkeep/v1/run-cache"
CACHE_KEY_PERSON = b"envkeep-run"  # BLAKE2b's personalisation: another domain separation
NONCE_SIZE = 12


def run_cache_key(private_keys: bytes) -> bytes:
    """The run cache's key for an identity, from its 64 raw private-key bytes."""
    if len(private_keys) != 64:
        raise ValueError("the run cache's key needs the 64 raw private-key bytes")
    return blake2b(
        CACHE_KEY_LABEL, digest_size=32, key=private_keys, person=CACHE_KEY_PERSON
    ).digest()


def seal_entry(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``nonce ‖ AES-GCM(plaintext)`` under ``key``, bound to ``aad``."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + _pyca.aead(key).encrypt(nonce, plaintext, aad)


def open_entry(key: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    """The plaintext of ``seal_entry``'s output, or None if it was not sealed with ``key``
    and ``aad`` or was changed since."""
    if len(sealed) < NONCE_SIZE + 16:
        return None
    try:
        return bytes(_pyca.aead(key).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], aad))
    except Exception:  # noqa: BLE001 - pyca's InvalidTag; loading its class would import typing
        return None
