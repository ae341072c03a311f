"""HMAC-SHA256 (RFC 2104) with the key's pads hashed once.

``envkeep run`` computes two MACs per variable (its name index and its verified-signature tag)
under one key each. ``hmac.digest`` sets the key up again on every call, which costs three
times the hashing itself for a short message; :class:`HmacKey` hashes ``key XOR ipad`` and
``key XOR opad`` once and copies those states per message. The bytes are those of
``hmac.digest(key, message, "sha256")`` (tests check it). Only the standard library is used:
this module needs no ``cryptography``.
"""

from __future__ import annotations

import hashlib

__all__ = ["BLOCK_SIZE", "HmacKey"]

BLOCK_SIZE = 64  # SHA-256's block size: a longer HMAC key would be hashed first
_IPAD = b"\x36" * BLOCK_SIZE
_OPAD = b"\x5c" * BLOCK_SIZE


def _xor(key: bytes, pad: bytes) -> bytes:
    return (int.from_bytes(key, "big") ^ int.from_bytes(pad, "big")).to_bytes(BLOCK_SIZE, "big")


class HmacKey:
    """One HMAC-SHA256 key, ready to tag many messages; its repr never shows the key."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(BLOCK_SIZE, b"\0")
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
