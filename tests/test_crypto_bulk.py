"""The bulk forms `envkeep run` opens thousands of variables with give the same bytes and the
same refusals as the one-at-a-time functions they stand for."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep import crypto
from envkeep.core.errors import CryptoError, IntegrityError

if TYPE_CHECKING:
    from collections.abc import Callable

DEK = crypto.new_data_key()


@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_hmac_key_gives_the_bytes_of_hmac_sha256(key: bytes, message: bytes) -> None:
    assert crypto.HmacKey(key).digest(message) == hmac.digest(key, message, "sha256")


def test_hmac_key_can_tag_many_messages_and_hides_its_key() -> None:
    key = crypto.HmacKey(b"k" * 32)
    assert key.digest(b"one") == hmac.digest(b"k" * 32, b"one", "sha256")
    assert key.digest(b"two") == hmac.digest(b"k" * 32, b"two", "sha256")
    assert "k" not in repr(key)


@given(
    env_id=st.text(max_size=40),
    scopes=st.lists(st.text(max_size=20), min_size=1, max_size=4),
    secret_id=st.text(max_size=40),
    version=st.integers(min_value=0, max_value=10**12),
    key_version=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_field_aads_of_one_environment_are_those_of_field_aad(
    env_id: str, scopes: list[str], secret_id: str, version: int, key_version: int
) -> None:
    builder = crypto.FieldAads(env_id)
    for scope in scopes * 2:  # the second round comes from the scope cache
        expected = tuple(
            crypto.field_aad(
                env_id=env_id,
                scope=scope,
                secret_id=secret_id,
                version=version,
                key_version=key_version,
                field=field,
            )
            for field in ("name", "value")
        )
        assert builder(scope, secret_id, version, key_version) == expected


@pytest.mark.parametrize(
    ("version", "key_version"), [(-1, 1), (True, 1), (1, -1), (1, 2**32), (1, False)]
)
def test_field_aads_refuse_what_field_aad_refuses(version: int, key_version: int) -> None:
    with pytest.raises(CryptoError):
        crypto.FieldAads("env")("shared", "id", version, key_version)


def test_field_aads_refuse_text_that_is_not_unicode() -> None:
    with pytest.raises(CryptoError):
        crypto.FieldAads("env")("shared", "\ud800", 1, 1)


def test_an_envelope_key_opens_what_open_envelope_opens() -> None:
    envelope = crypto.seal(DEK, b"value", b"aad", key_version=3)
    assert crypto.EnvelopeKey(DEK).open(envelope, b"aad") == b"value"
    assert repr(crypto.EnvelopeKey(DEK)) == "EnvelopeKey(<redacted>)"


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e[:-1],  # truncated tag
        lambda e: e[:10],  # shorter than any envelope
        lambda e: b"\x02" + e[1:],  # another format version
        lambda e: e[:1] + b"\x00\x00\x00\x09" + e[5:],  # header (in the AAD) changed
        lambda e: e[:-1] + bytes([e[-1] ^ 1]),  # tag changed
    ],
)
def test_an_envelope_key_refuses_a_damaged_envelope(damage: Callable[[bytes], bytes]) -> None:
    envelope = crypto.seal(DEK, b"value", b"aad", key_version=3)
    with pytest.raises(IntegrityError):
        crypto.EnvelopeKey(DEK).open(damage(envelope), b"aad")
    with pytest.raises(IntegrityError):
        crypto.EnvelopeKey(DEK).open(envelope, b"other aad")


def test_an_envelope_key_refuses_a_short_key() -> None:
    with pytest.raises(CryptoError):
        crypto.EnvelopeKey(DEK[:16])


def test_the_name_index_key_indexes_as_name_index() -> None:
    assert crypto.name_index_key(DEK).digest(b"PORT") == crypto.name_index(DEK, "PORT")


def test_the_verification_tag_keeps_its_format() -> None:
    """Tags already in users' caches stay valid: HMAC-SHA256 of signer, signature and the
    SHA-256 of the signed message, under the HKDF-derived cache key, cut to 16 bytes."""
    reader, author = crypto.generate_keys(), crypto.generate_keys()
    parts = [b"aad", b"ciphertext"]
    signature = crypto.sign(author, parts)
    key = crypto.hkdf_sha256(
        reader.signing, salt=None, info=b"envkeep/v1/verified-signatures", length=32
    )
    message = b"envkeep/v1/sig" + b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    signer = author.public()
    expected = hmac.digest(
        key, signer.signing + signature + hashlib.sha256(message).digest(), "sha256"
    )[:16]
    cache_key = crypto.verification_cache_key(reader)
    assert crypto.verification_tag(cache_key, signer, signature, parts) == expected
