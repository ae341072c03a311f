"""Tests for envkeep.crypto: round trips, tamper detection, protocol layout, known answers."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from envkeep import crypto
from envkeep.core.errors import CryptoError, IntegrityError, WrongPassphrase

ALICE = crypto.generate_keys()
BOB = crypto.generate_keys()
MALLORY = crypto.generate_keys()
DEK = crypto.new_data_key()

PLAINTEXT = b"postgres://app:hunter2@db/shop"
AAD = b"caller associated data"

FIELD: dict[str, Any] = {
    "env_id": "env-7f3a",
    "scope": "service:api",
    "secret_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    "version": 3,
    "key_version": 2,
    "field": "value",
}

SHARE: dict[str, Any] = {"env_id": "env-7f3a", "key_version": 5, "recipient_id": "user:alice"}


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    """Return ``data`` with one bit of byte ``index`` inverted."""
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


def share_to_alice(**overrides: Any) -> bytes:
    """Seal DEK to ALICE, signed by BOB, with SHARE's addressing unless overridden."""
    args: dict[str, Any] = {**SHARE, "recipient": ALICE.public(), "sharer": BOB, **overrides}
    return crypto.seal_share(DEK, **args)


def open_as_alice(sealed: bytes, **overrides: Any) -> bytes:
    """Open a share as ALICE expecting BOB as sharer, unless overridden."""
    args: dict[str, Any] = {**SHARE, "recipient": ALICE, "sharer": BOB.public(), **overrides}
    return crypto.open_share(sealed, **args)


# --- envelopes ---------------------------------------------------------------------------------


@given(
    plaintext=st.binary(max_size=2048),
    aad=st.binary(max_size=256),
    key_version=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_seal_then_open_returns_the_plaintext(
    plaintext: bytes, aad: bytes, key_version: int
) -> None:
    envelope = crypto.seal(DEK, plaintext, aad, key_version=key_version)
    assert crypto.open_envelope(DEK, envelope, aad) == plaintext
    assert crypto.envelope_key_version(envelope) == key_version


def test_envelope_layout_is_version_key_version_nonce_ciphertext_tag() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=0x01020304)
    assert envelope[0] == crypto.FORMAT_VERSION == 1
    assert envelope[1:5] == bytes([1, 2, 3, 4])
    assert len(envelope) == 1 + 4 + 12 + len(PLAINTEXT) + 16


def test_header_is_bound_into_the_aes_gcm_associated_data() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=9)
    header, nonce, body = envelope[:5], envelope[5:17], envelope[17:]
    assert AESGCM(DEK).decrypt(nonce, body, header + AAD) == PLAINTEXT


def test_sealing_twice_uses_fresh_nonces() -> None:
    first = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    second = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    assert first[5:17] != second[5:17]
    assert first != second


ENVELOPE_REGIONS = {
    "format byte": 0,
    "key_version header": 4,
    "nonce": 10,
    "ciphertext": 20,
    "tag": -1,
}


@pytest.mark.parametrize("index", ENVELOPE_REGIONS.values(), ids=ENVELOPE_REGIONS.keys())
def test_flipping_a_bit_in_any_envelope_region_is_rejected(index: int) -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, flip_bit(envelope, index), AAD)


@given(data=st.data())
def test_flipping_any_single_bit_of_an_envelope_is_rejected(data: st.DataObject) -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    index = data.draw(st.integers(min_value=0, max_value=len(envelope) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, flip_bit(envelope, index, bit), AAD)


def test_rewriting_the_key_version_header_is_detected() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    moved = envelope[:1] + (2).to_bytes(4, "big") + envelope[5:]
    assert crypto.envelope_key_version(moved) == 2
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, moved, AAD)


@pytest.mark.parametrize("length", [0, 1, 5, 17, 32])
def test_truncated_envelope_is_rejected(length: int) -> None:
    envelope = crypto.seal(DEK, b"", AAD, key_version=1)
    assert len(envelope) == 33
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, envelope[:length], AAD)
    with pytest.raises(IntegrityError):
        crypto.envelope_key_version(envelope[:length])


def test_envelope_missing_its_last_byte_is_rejected() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, envelope[:-1], AAD)


def test_unknown_format_version_is_rejected_with_an_upgrade_hint() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(IntegrityError) as info:
        crypto.envelope_key_version(b"\x02" + envelope[1:])
    assert info.value.hint is not None
    assert "upgrade" in info.value.hint


def test_opening_with_another_key_or_aad_is_rejected() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(IntegrityError):
        crypto.open_envelope(crypto.new_data_key(), envelope, AAD)
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, envelope, AAD + b"!")


@pytest.mark.parametrize("key", [b"", b"k" * 16, b"k" * 31, b"k" * 33])
def test_keys_that_are_not_32_bytes_are_refused(key: bytes) -> None:
    with pytest.raises(CryptoError):
        crypto.seal(key, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(CryptoError):
        crypto.open_envelope(key, crypto.seal(DEK, PLAINTEXT, AAD, key_version=1), AAD)
    with pytest.raises(CryptoError):
        crypto.name_index(key, "DATABASE_URL")


@pytest.mark.parametrize("key_version", [-1, 2**32, True])
def test_key_version_outside_32_bit_unsigned_range_is_refused(key_version: int) -> None:
    with pytest.raises(CryptoError):
        crypto.seal(DEK, PLAINTEXT, AAD, key_version=key_version)


def test_largest_key_version_is_accepted() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=2**32 - 1)
    assert crypto.envelope_key_version(envelope) == 2**32 - 1


def test_integrity_errors_do_not_mention_the_key() -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, AAD, key_version=1)
    with pytest.raises(IntegrityError) as info:
        crypto.open_envelope(DEK, flip_bit(envelope, -1), AAD)
    shown = f"{info.value} {info.value!r} {info.value.hint}"
    assert DEK.hex() not in shown
    assert repr(DEK) not in shown
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --- text form ---------------------------------------------------------------------------------


@given(envelope=st.binary(max_size=512))
def test_text_form_round_trips(envelope: bytes) -> None:
    text = crypto.to_text(envelope)
    assert text.startswith(crypto.TEXT_PREFIX)
    assert "=" not in text
    assert re.fullmatch(r"[A-Za-z0-9_-]*", text.removeprefix(crypto.TEXT_PREFIX))
    assert crypto.from_text(text) == envelope


def test_text_form_uses_url_safe_alphabet() -> None:
    assert crypto.to_text(b"\xfb\xff") == "enc:v1:-_8"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "AQAAAA",
        "enc:v2:AQAAAA",
        "ENC:V1:AQAAAA",
        "enc:v1:AQAAAA==",
        "enc:v1:+/8",
        "enc:v1:A",
        "enc:v1:AQ AA",
        "enc:v1:AQ\u00e9A",
        "enc:v1:-_9",
    ],
    ids=[
        "empty",
        "no prefix",
        "other version",
        "upper case prefix",
        "padding",
        "standard alphabet",
        "impossible length",
        "space",
        "non ascii",
        "non canonical trailing bits",
    ],
)
def test_from_text_rejects_bad_prefix_or_bad_base64url(text: str) -> None:
    with pytest.raises(IntegrityError):
        crypto.from_text(text)


# --- associated data for variables -------------------------------------------------------------


def test_field_aad_encoding_is_label_then_length_prefixed_parts() -> None:
    aad = crypto.field_aad(
        env_id="e", scope="s", secret_id="id", version=12, key_version=3, field="name"
    )
    assert aad == (
        b"envkeep/v1"
        b"\x00\x00\x00\x01e"
        b"\x00\x00\x00\x01s"
        b"\x00\x00\x00\x02id"
        b"\x00\x00\x00\x0212"
        b"\x00\x00\x00\x013"
        b"\x00\x00\x00\x04name"
    )


FIELD_CHANGES = {
    "env_id": {"env_id": "env-other"},
    "scope": {"scope": "service:worker"},
    "secret_id": {"secret_id": "6fa459ea-ee8a-3ca4-894e-db77e160355e"},
    "version": {"version": 4},
    "key_version": {"key_version": 3},
    "field name to value": {"field": "name"},
}


@pytest.mark.parametrize("change", FIELD_CHANGES.values(), ids=FIELD_CHANGES.keys())
def test_value_moved_to_another_place_is_rejected(change: dict[str, Any]) -> None:
    envelope = crypto.seal(DEK, PLAINTEXT, crypto.field_aad(**FIELD), key_version=2)
    other = crypto.field_aad(**{**FIELD, **change})
    assert other != crypto.field_aad(**FIELD)
    with pytest.raises(IntegrityError):
        crypto.open_envelope(DEK, envelope, other)


def test_name_sealed_as_name_opens_as_name() -> None:
    aad = crypto.field_aad(**{**FIELD, "field": "name"})
    assert crypto.open_envelope(DEK, crypto.seal(DEK, b"DB_URL", aad, key_version=2), aad) == (
        b"DB_URL"
    )


place = st.tuples(
    st.text(max_size=8),
    st.text(max_size=8),
    st.text(max_size=8),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from(["name", "value"]),
)


def _aad_of(p: tuple[str, str, str, int, int, str]) -> bytes:
    return crypto.field_aad(
        env_id=p[0], scope=p[1], secret_id=p[2], version=p[3], key_version=p[4], field=p[5]
    )


@given(first=place, second=place)
def test_field_aad_differs_whenever_any_part_differs(
    first: tuple[str, str, str, int, int, str], second: tuple[str, str, str, int, int, str]
) -> None:
    assert (_aad_of(first) == _aad_of(second)) == (first == second)


def test_field_aad_cannot_be_confused_by_shifting_text_between_parts() -> None:
    left = crypto.field_aad(**{**FIELD, "env_id": "ab", "scope": "c"})
    right = crypto.field_aad(**{**FIELD, "env_id": "a", "scope": "bc"})
    assert left != right


@pytest.mark.parametrize(
    "change",
    [{"field": "key"}, {"field": "Value"}, {"version": -1}, {"key_version": 2**32}],
    ids=["unknown field", "field case", "negative version", "key_version too large"],
)
def test_field_aad_refuses_invalid_parts(change: dict[str, Any]) -> None:
    with pytest.raises(CryptoError):
        crypto.field_aad(**{**FIELD, **change})


# --- name index --------------------------------------------------------------------------------


def test_name_index_is_deterministic_per_data_key() -> None:
    assert crypto.name_index(DEK, "DATABASE_URL") == crypto.name_index(DEK, "DATABASE_URL")
    assert len(crypto.name_index(DEK, "DATABASE_URL")) == 32


def test_name_index_differs_across_data_keys_and_names() -> None:
    other_dek = crypto.new_data_key()
    assert crypto.name_index(DEK, "DATABASE_URL") != crypto.name_index(other_dek, "DATABASE_URL")
    assert crypto.name_index(DEK, "DATABASE_URL") != crypto.name_index(DEK, "DATABASE_URI")


def test_name_index_uses_a_key_derived_from_the_data_key() -> None:
    index_key = crypto.hkdf_sha256(DEK, salt=None, info=b"envkeep/v1/name-index", length=32)
    expected = hmac.new(index_key, b"DATABASE_URL", hashlib.sha256).digest()
    assert crypto.name_index(DEK, "DATABASE_URL") == expected
    assert expected != hmac.new(DEK, b"DATABASE_URL", hashlib.sha256).digest()


# --- signatures --------------------------------------------------------------------------------


@given(parts=st.lists(st.binary(max_size=64), max_size=5))
def test_signature_verifies_for_the_signed_parts(parts: list[bytes]) -> None:
    signature = crypto.sign(ALICE, parts)
    assert len(signature) == 64
    crypto.verify(ALICE.public(), signature, parts)


def test_flipping_a_signature_bit_is_rejected() -> None:
    parts = [b"envelope", b"nonce"]
    signature = crypto.sign(ALICE, parts)
    for index in (0, 31, 32, 63):
        with pytest.raises(IntegrityError):
            crypto.verify(ALICE.public(), flip_bit(signature, index), parts)


def test_signature_does_not_verify_under_another_signers_key() -> None:
    parts = [b"envelope"]
    with pytest.raises(IntegrityError):
        crypto.verify(MALLORY.public(), crypto.sign(ALICE, parts), parts)


def test_signature_does_not_verify_for_changed_or_regrouped_parts() -> None:
    signature = crypto.sign(ALICE, [b"ab", b"c"])
    for parts in ([b"a", b"bc"], [b"abc"], [b"ab", b"c", b""], [b"ab", b"d"]):
        with pytest.raises(IntegrityError):
            crypto.verify(ALICE.public(), signature, parts)


@pytest.mark.parametrize("length", [0, 63, 65])
def test_signature_of_the_wrong_length_is_rejected(length: int) -> None:
    with pytest.raises(IntegrityError):
        crypto.verify(ALICE.public(), b"\x00" * length, [b"x"])


def test_signature_is_domain_separated_from_raw_ed25519() -> None:
    raw = Ed25519PrivateKey.from_private_bytes(ALICE.signing).sign(b"\x00\x00\x00\x01x")
    with pytest.raises(IntegrityError):
        crypto.verify(ALICE.public(), raw, [b"x"])


# --- shares ------------------------------------------------------------------------------------


def test_share_opens_for_its_recipient() -> None:
    assert open_as_alice(share_to_alice()) == DEK


@given(
    env_id=st.text(max_size=20),
    recipient_id=st.text(max_size=20),
    key_version=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_share_round_trips_for_any_addressing(
    env_id: str, recipient_id: str, key_version: int
) -> None:
    addressing = {"env_id": env_id, "recipient_id": recipient_id, "key_version": key_version}
    assert open_as_alice(share_to_alice(**addressing), **addressing) == DEK


def test_share_sealed_to_alice_does_not_open_with_bobs_private_keys() -> None:
    sealed = share_to_alice()
    with pytest.raises(IntegrityError):
        open_as_alice(sealed, recipient=BOB)
    with pytest.raises(IntegrityError):
        open_as_alice(sealed, recipient=BOB, recipient_id="user:bob")


SHARE_MISADDRESSING = {
    "another env_id": {"env_id": "env-other"},
    "another key_version": {"key_version": 6},
    "another recipient_id": {"recipient_id": "user:bob"},
    "another claimed sharer": {"sharer": MALLORY.public()},
}


@pytest.mark.parametrize("change", SHARE_MISADDRESSING.values(), ids=SHARE_MISADDRESSING.keys())
def test_share_opened_with_other_addressing_is_rejected(change: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError):
        open_as_alice(share_to_alice(), **change)


SHARE_REGIONS = {"format byte": 0, "ephemeral key": 5, "signature": 40, "envelope": 120}


@pytest.mark.parametrize("index", SHARE_REGIONS.values(), ids=SHARE_REGIONS.keys())
def test_flipping_a_bit_in_any_share_region_is_rejected(index: int) -> None:
    with pytest.raises(IntegrityError):
        open_as_alice(flip_bit(share_to_alice(), index))


@pytest.mark.parametrize("length", [0, 1, 33, 97, 129, -1])
def test_truncated_share_is_rejected(length: int) -> None:
    with pytest.raises(IntegrityError):
        open_as_alice(share_to_alice()[:length])


def test_share_signature_is_checked_before_decryption() -> None:
    with pytest.raises(IntegrityError, match="signature"):
        open_as_alice(share_to_alice(), recipient=MALLORY, sharer=MALLORY.public())


def test_share_resigned_by_an_attacker_is_rejected_for_the_real_sharer() -> None:
    sealed = share_to_alice()
    envelope = sealed[97:]
    eph_pub = sealed[1:33]
    aad = (
        b"\x00\x00\x00\x10envkeep/v1/share"
        b"\x00\x00\x00\x08env-7f3a"
        b"\x00\x00\x00\x015"
        b"\x00\x00\x00\x0auser:alice"
    )
    forged = sealed[:33] + crypto.sign(MALLORY, [aad, eph_pub, envelope]) + envelope
    with pytest.raises(IntegrityError):
        open_as_alice(forged)
    assert open_as_alice(forged, sharer=MALLORY.public()) == DEK


def test_share_layout_follows_the_protocol() -> None:
    sealed = share_to_alice()
    assert sealed[0] == crypto.FORMAT_VERSION
    eph_pub, signature, envelope = sealed[1:33], sealed[33:97], sealed[97:]
    aad = (
        b"\x00\x00\x00\x10envkeep/v1/share"
        b"\x00\x00\x00\x08env-7f3a"
        b"\x00\x00\x00\x015"
        b"\x00\x00\x00\x0auser:alice"
    )
    crypto.verify(BOB.public(), signature, [aad, eph_pub, envelope])
    shared = X25519PrivateKey.from_private_bytes(ALICE.encryption).exchange(
        X25519PublicKey.from_public_bytes(eph_pub)
    )
    salt = eph_pub + ALICE.public().encryption
    k = crypto.hkdf_sha256(shared, salt=salt, info=b"envkeep/v1/share", length=32)
    assert crypto.envelope_key_version(envelope) == 5
    assert crypto.open_envelope(k, envelope, aad) == DEK


def test_each_share_uses_a_fresh_ephemeral_key() -> None:
    assert share_to_alice()[1:33] != share_to_alice()[1:33]


def test_share_to_a_low_order_x25519_key_is_refused() -> None:
    bad_recipient = crypto.PublicKeys(encryption=bytes(32), signing=ALICE.public().signing)
    with pytest.raises(CryptoError):
        share_to_alice(recipient=bad_recipient)


def test_share_of_a_short_data_key_is_refused() -> None:
    with pytest.raises(CryptoError):
        crypto.seal_share(b"short", **SHARE, recipient=ALICE.public(), sharer=BOB)


# --- key pairs ---------------------------------------------------------------------------------


def test_private_keys_round_trip_through_bytes() -> None:
    raw = ALICE.to_bytes()
    assert len(raw) == 64
    assert raw == ALICE.encryption + ALICE.signing
    assert crypto.PrivateKeys.from_bytes(raw) == ALICE


@pytest.mark.parametrize("length", [0, 32, 63, 65])
def test_private_keys_from_bytes_refuses_the_wrong_length(length: int) -> None:
    with pytest.raises(CryptoError) as info:
        crypto.PrivateKeys.from_bytes(b"\x07" * length)
    assert "0707" not in str(info.value)


def test_public_keys_refuse_the_wrong_length() -> None:
    with pytest.raises(CryptoError):
        crypto.PublicKeys(encryption=b"\x01" * 31, signing=b"\x01" * 32)
    with pytest.raises(CryptoError):
        crypto.PublicKeys(encryption=b"\x01" * 32, signing=b"\x01" * 33)


def test_public_keys_are_derived_deterministically_and_differ_per_principal() -> None:
    assert ALICE.public() == crypto.PrivateKeys.from_bytes(ALICE.to_bytes()).public()
    assert ALICE.public() != BOB.public()
    assert ALICE.public().encryption != ALICE.encryption


def test_generated_keys_and_random_values_are_fresh_and_sized() -> None:
    assert crypto.generate_keys() != crypto.generate_keys()
    assert len(crypto.new_data_key()) == 32
    assert crypto.new_data_key() != crypto.new_data_key()
    assert len(crypto.new_salt()) == 16
    assert crypto.new_salt() != crypto.new_salt()


def test_private_keys_repr_and_str_are_masked() -> None:
    keys = crypto.generate_keys()
    for shown in (repr(keys), str(keys), f"{keys}", repr([keys])):
        assert "redacted" in shown
        for secret in (keys.encryption, keys.signing):
            assert secret.hex() not in shown
            assert secret.hex()[:8] not in shown
            assert repr(secret) not in shown


def test_fingerprint_is_eight_groups_of_four_hex_digits_from_sha256() -> None:
    public = ALICE.public()
    fingerprint = public.fingerprint()
    assert re.fullmatch(r"([0-9a-f]{4} ){7}[0-9a-f]{4}", fingerprint)
    digest = hashlib.sha256(b"envkeep/v1/fingerprint" + public.encryption + public.signing)
    assert fingerprint.replace(" ", "") == digest.hexdigest()[:32]
    assert fingerprint != BOB.public().fingerprint()


# --- key derivation ----------------------------------------------------------------------------

# RFC 5869 Appendix A, test cases 1-3 (HKDF-SHA256).
RFC5869 = {
    "A.1 basic": (
        "0b" * 22,
        "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9",
        42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
    "A.2 long inputs": (
        bytes(range(0x50)).hex(),
        bytes(range(0x60, 0xB0)).hex(),
        bytes(range(0xB0, 0x100)).hex(),
        82,
        (
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87"
        ),
    ),
    "A.3 empty salt and info": (
        "0b" * 22,
        "",
        "",
        42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ),
}


@pytest.mark.parametrize(
    ("ikm", "salt", "info", "length", "okm"), RFC5869.values(), ids=RFC5869.keys()
)
def test_hkdf_matches_rfc5869_vectors(
    ikm: str, salt: str, info: str, length: int, okm: str
) -> None:
    result = crypto.hkdf_sha256(
        bytes.fromhex(ikm), salt=bytes.fromhex(salt), info=bytes.fromhex(info), length=length
    )
    assert result.hex() == okm


def test_hkdf_without_salt_equals_empty_salt() -> None:
    ikm = bytes.fromhex("0b" * 22)
    assert (
        crypto.hkdf_sha256(ikm, salt=None, info=b"", length=42).hex()
        == RFC5869["A.3 empty salt and info"][4]
    )


@pytest.mark.parametrize("length", [0, -1, 255 * 32 + 1])
def test_hkdf_refuses_lengths_outside_rfc5869_limits(length: int) -> None:
    with pytest.raises(CryptoError):
        crypto.hkdf_sha256(b"ikm", salt=None, info=b"", length=length)


def test_hkdf_gives_the_maximum_length() -> None:
    assert len(crypto.hkdf_sha256(b"ikm", salt=None, info=b"", length=255 * 32)) == 255 * 32


def test_argon2id_matches_rfc9106_vector() -> None:
    # RFC 9106 §5.3: Argon2id, version 0x13, 32 KiB, 3 passes, 4 lanes, tag length 32.
    tag = crypto.argon2id_raw(
        b"\x01" * 32,
        b"\x02" * 16,
        memory_kib=32,
        iterations=3,
        lanes=4,
        length=32,
        secret=b"\x03" * 8,
        ad=b"\x04" * 12,
    )
    assert tag.hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


def test_argon2id_raw_refuses_impossible_parameters_with_crypto_error() -> None:
    with pytest.raises(CryptoError):
        crypto.argon2id_raw(b"pw", b"\x02" * 16, memory_kib=1, iterations=1, lanes=4, length=32)


WEAK_PARAMS = {
    "memory": crypto.KdfParams(memory_kib=65535),
    "iterations": crypto.KdfParams(iterations=2),
    "lanes": crypto.KdfParams(lanes=1),
}


@pytest.mark.parametrize("params", WEAK_PARAMS.values(), ids=WEAK_PARAMS.keys())
def test_weaker_kdf_parameters_are_refused(params: crypto.KdfParams) -> None:
    with pytest.raises(CryptoError, match="65536 KiB, 3 passes, 4 lanes"):
        crypto.derive_passphrase_key("correct horse", crypto.new_salt(), params)


def test_default_and_stronger_kdf_parameters_pass_the_floor() -> None:
    assert crypto.KdfParams(65536, 3, 4) == crypto.DEFAULT_KDF
    crypto.DEFAULT_KDF.check_floor()
    crypto.KdfParams(memory_kib=262144, iterations=4, lanes=8).check_floor()


def test_short_salt_is_refused() -> None:
    with pytest.raises(CryptoError, match="16 bytes"):
        crypto.derive_passphrase_key("correct horse", b"\x00" * 15)


def test_passphrase_key_is_argon2id_with_default_parameters() -> None:
    salt = b"\x11" * 16
    key = crypto.derive_passphrase_key("correct horse", salt)
    expected = crypto.argon2id_raw(
        b"correct horse", salt, memory_kib=65536, iterations=3, lanes=4, length=32
    )
    assert key == expected


def test_passphrase_is_unicode_normalised_before_derivation() -> None:
    salt = b"\x22" * 16
    composed = crypto.derive_passphrase_key("caf\u00e9", salt)
    decomposed = crypto.derive_passphrase_key("cafe\u0301", salt)
    assert composed == decomposed


def test_passphrase_key_splits_into_distinct_auth_and_wrap_keys() -> None:
    master = bytes(range(32))
    auth_key, wrap_key = crypto.split_passphrase_key(master)
    assert auth_key == crypto.hkdf_sha256(master, salt=None, info=b"envkeep/v1/auth", length=32)
    assert wrap_key == crypto.hkdf_sha256(master, salt=None, info=b"envkeep/v1/wrap", length=32)
    assert auth_key != wrap_key
    assert master not in (auth_key, wrap_key)


# --- private keys at rest ----------------------------------------------------------------------


def test_wrapped_private_keys_unwrap_with_the_same_key() -> None:
    wrap_key = crypto.new_data_key()
    blob = crypto.wrap_private_keys(ALICE, wrap_key)
    assert ALICE.encryption not in blob
    assert ALICE.signing not in blob
    assert crypto.unwrap_private_keys(blob, wrap_key) == ALICE


def test_wrapped_blob_is_an_envelope_for_the_private_keys_aad() -> None:
    wrap_key = crypto.new_data_key()
    blob = crypto.wrap_private_keys(ALICE, wrap_key)
    assert crypto.envelope_key_version(blob) == 1
    assert crypto.open_envelope(wrap_key, blob, b"envkeep/v1/private-keys") == ALICE.to_bytes()


def test_wrong_passphrase_cannot_unwrap_private_keys() -> None:
    salt = crypto.new_salt()
    _, wrap_key = crypto.split_passphrase_key(crypto.derive_passphrase_key("right one", salt))
    blob = crypto.wrap_private_keys(ALICE, wrap_key)
    _, wrong_key = crypto.split_passphrase_key(crypto.derive_passphrase_key("wrong one", salt))
    with pytest.raises(WrongPassphrase) as info:
        crypto.unwrap_private_keys(blob, wrong_key)
    assert str(info.value) == (
        "could not unlock the private keys: wrong passphrase or damaged key file"
    )
    assert info.value.hint
    assert wrong_key.hex() not in f"{info.value} {info.value.hint}"
    assert info.value.__suppress_context__


@pytest.mark.parametrize("index", [0, 3, 10, 40, -1])
def test_damaged_key_file_is_reported_as_wrong_passphrase(index: int) -> None:
    wrap_key = crypto.new_data_key()
    blob = crypto.wrap_private_keys(ALICE, wrap_key)
    with pytest.raises(WrongPassphrase):
        crypto.unwrap_private_keys(flip_bit(blob, index), wrap_key)
    with pytest.raises(WrongPassphrase):
        crypto.unwrap_private_keys(blob[:20], wrap_key)


def test_authentic_blob_of_the_wrong_length_is_refused() -> None:
    wrap_key = crypto.new_data_key()
    blob = crypto.seal(wrap_key, b"\x00" * 63, b"envkeep/v1/private-keys", key_version=1)
    with pytest.raises(WrongPassphrase):
        crypto.unwrap_private_keys(blob, wrap_key)
