"""The run cache's key and sealing (crypto/warm.py)."""

from __future__ import annotations

import hashlib
import os

import pytest

from envkeep.crypto import warm

KEYS = bytes(range(64))


def test_the_cache_key_is_keyed_blake2b_of_the_label() -> None:
    expected = hashlib.blake2b(
        warm.CACHE_KEY_LABEL, digest_size=32, key=KEYS, person=warm.CACHE_KEY_PERSON
    ).digest()

    assert warm.run_cache_key(KEYS) == expected
    assert warm.run_cache_key(KEYS) != warm.run_cache_key(bytes(64))


def test_the_cache_key_needs_the_whole_private_key() -> None:
    with pytest.raises(ValueError, match="64 raw private-key bytes"):
        warm.run_cache_key(KEYS[:32])


def test_an_entry_opens_with_its_key_and_aad_only() -> None:
    key, other = warm.run_cache_key(KEYS), warm.run_cache_key(bytes(64))
    sealed = warm.seal_entry(key, b"values", b"for this")

    assert warm.open_entry(key, sealed, b"for this") == b"values"
    assert warm.open_entry(key, sealed, b"for that") is None
    assert warm.open_entry(other, sealed, b"for this") is None
    assert warm.open_entry(key, sealed[:20], b"for this") is None
    assert warm.seal_entry(key, b"values", b"for this") != sealed  # a fresh nonce each time


@pytest.mark.parametrize("position", [0, 11, 12, -17, -1])
def test_any_flipped_bit_makes_an_entry_unreadable(position: int) -> None:
    key = warm.run_cache_key(os.urandom(64))
    sealed = bytearray(warm.seal_entry(key, b"values", b"aad"))
    sealed[position] ^= 0x01

    assert warm.open_entry(key, bytes(sealed), b"aad") is None
