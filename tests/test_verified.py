"""The cache of verified signatures speeds re-reads without letting a bad signature pass."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from envkeep import crypto
from envkeep.client.verified import TAG_SIZE, VerifiedSignatures
from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

PARTS = [b"aad", b"ciphertext"]


def _signed() -> tuple[crypto.PrivateKeys, bytes]:
    author = crypto.generate_keys()
    return author, crypto.sign(author, PARTS)


def test_a_verified_signature_is_remembered_across_instances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = crypto.generate_keys()
    author, signature = _signed()
    first = VerifiedSignatures(tmp_path / "cache", reader)
    first(author.public(), signature, PARTS)
    first.save()
    assert (tmp_path / "cache").stat().st_size == TAG_SIZE
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o600

    calls: list[int] = []

    def counting_verify(signer: crypto.PublicKeys, sig: bytes, parts: Sequence[bytes]) -> None:
        calls.append(1)

    monkeypatch.setattr(crypto, "verify", counting_verify)
    VerifiedSignatures(tmp_path / "cache", reader)(author.public(), signature, PARTS)
    assert calls == []


def test_changed_parts_are_verified_again_and_rejected(tmp_path: Path) -> None:
    reader = crypto.generate_keys()
    author, signature = _signed()
    cache = VerifiedSignatures(tmp_path / "cache", reader)
    cache(author.public(), signature, PARTS)
    with pytest.raises(IntegrityError):
        cache(author.public(), signature, [b"aad", b"other ciphertext"])


def test_another_signer_is_verified_again_and_rejected(tmp_path: Path) -> None:
    reader = crypto.generate_keys()
    author, signature = _signed()
    cache = VerifiedSignatures(tmp_path / "cache", reader)
    cache(author.public(), signature, PARTS)
    with pytest.raises(IntegrityError):
        cache(crypto.generate_keys().public(), signature, PARTS)


def test_planted_tags_do_not_make_a_forged_signature_pass(tmp_path: Path) -> None:
    reader = crypto.generate_keys()
    author = crypto.generate_keys()
    forged = os.urandom(64)
    (tmp_path / "cache").write_bytes(os.urandom(TAG_SIZE * 1000))
    with pytest.raises(IntegrityError):
        VerifiedSignatures(tmp_path / "cache", reader)(author.public(), forged, PARTS)


def test_another_identitys_cache_is_worthless(tmp_path: Path) -> None:
    author, signature = _signed()
    mine = VerifiedSignatures(tmp_path / "cache", crypto.generate_keys())
    mine(author.public(), signature, PARTS)
    mine.save()
    theirs = VerifiedSignatures(tmp_path / "cache", crypto.generate_keys())
    with pytest.raises(IntegrityError):
        theirs(author.public(), os.urandom(64), PARTS)


def test_a_torn_last_entry_is_ignored(tmp_path: Path) -> None:
    reader = crypto.generate_keys()
    author, signature = _signed()
    cache = VerifiedSignatures(tmp_path / "cache", reader)
    cache(author.public(), signature, PARTS)
    cache.save()
    with (tmp_path / "cache").open("ab") as handle:
        handle.write(b"torn")
    again = VerifiedSignatures(tmp_path / "cache", reader)
    again(author.public(), signature, PARTS)  # still known; nothing raised
    again.save()
    assert (tmp_path / "cache").stat().st_size == TAG_SIZE + 4
