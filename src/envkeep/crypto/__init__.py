"""envkeep's cryptography, protocol v1 (DESIGN §4).

Primitives: AES-256-GCM with random 96-bit nonces, X25519, Ed25519, HKDF-SHA256 (RFC 5869, on the
standard library), HMAC-SHA256 and Argon2id. Every ciphertext is a versioned envelope; multi-part
inputs are length-prefixed. Failures raise :class:`CryptoError` (bad input from the caller) or
:class:`IntegrityError` (tampered, mis-addressed or mis-signed data). No message ever contains
key material.

One idea per module: ``encoding`` (checks, length-prefixed parts, field AADs, the text form),
``keys`` (key pairs, HKDF, HMAC keys, Argon2id), ``sealing`` (envelopes, name indexes,
signatures, shares, private keys at rest) and ``_pyca``, the only module of envkeep that
imports ``cryptography``. This package's names are the API: import from ``envkeep.crypto``.
"""

from __future__ import annotations

# A plain flag rather than typing.TYPE_CHECKING: `envkeep run`'s warm start reaches `_pyca`
# through this package and must not pay for importing `typing` (mypy treats the name alike).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from envkeep.crypto.encoding import (
        FORMAT_VERSION,
        KEY_SIZE,
        NONCE_SIZE,
        SALT_SIZE,
        SIGNATURE_SIZE,
        TAG_SIZE,
        TEXT_PREFIX,
        FieldAads,
        field_aad,
        field_aads,
        from_text,
        to_text,
    )
    from envkeep.crypto.keys import (
        DEFAULT_KDF,
        HmacKey,
        KdfParams,
        PrivateKeys,
        PublicKeys,
        argon2id_raw,
        derive_passphrase_key,
        generate_keys,
        hkdf_sha256,
        new_data_key,
        new_salt,
        split_passphrase_key,
    )
    from envkeep.crypto.sealing import (
        EnvelopeKey,
        envelope_key_version,
        invite_accept_key,
        invite_key_proof,
        legacy_invite_key_proof,
        name_index,
        name_index_key,
        open_envelope,
        open_share,
        seal,
        seal_share,
        sign,
        unwrap_private_keys,
        verification_cache_key,
        verification_tag,
        verify,
        wrap_private_keys,
    )

# The public names, each with the module that defines it. They are loaded on first use
# (PEP 562), so that importing one submodule (`_pyca`, for `run`'s warm start) does not load
# the others.
_HOMES = {
    "DEFAULT_KDF": "keys",
    "EnvelopeKey": "sealing",
    "FORMAT_VERSION": "encoding",
    "FieldAads": "encoding",
    "HmacKey": "keys",
    "KEY_SIZE": "encoding",
    "KdfParams": "keys",
    "NONCE_SIZE": "encoding",
    "PrivateKeys": "keys",
    "PublicKeys": "keys",
    "SALT_SIZE": "encoding",
    "SIGNATURE_SIZE": "encoding",
    "TAG_SIZE": "encoding",
    "TEXT_PREFIX": "encoding",
    "argon2id_raw": "keys",
    "derive_passphrase_key": "keys",
    "envelope_key_version": "sealing",
    "field_aad": "encoding",
    "field_aads": "encoding",
    "from_text": "encoding",
    "generate_keys": "keys",
    "hkdf_sha256": "keys",
    "invite_accept_key": "sealing",
    "invite_key_proof": "sealing",
    "legacy_invite_key_proof": "sealing",
    "name_index": "sealing",
    "name_index_key": "sealing",
    "new_data_key": "keys",
    "new_salt": "keys",
    "open_envelope": "sealing",
    "open_share": "sealing",
    "seal": "sealing",
    "seal_share": "sealing",
    "sign": "sealing",
    "split_passphrase_key": "keys",
    "to_text": "encoding",
    "unwrap_private_keys": "sealing",
    "verification_cache_key": "sealing",
    "verification_tag": "sealing",
    "verify": "sealing",
    "wrap_private_keys": "sealing",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'envkeep.crypto' has no attribute {name!r}")
    # __import__ rather than importlib.import_module: importing importlib costs the warm start.
    module = __import__(f"envkeep.crypto.{home}", fromlist=[name])
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DEFAULT_KDF",
    "FORMAT_VERSION",
    "KEY_SIZE",
    "NONCE_SIZE",
    "SALT_SIZE",
    "SIGNATURE_SIZE",
    "TAG_SIZE",
    "TEXT_PREFIX",
    "EnvelopeKey",
    "FieldAads",
    "HmacKey",
    "KdfParams",
    "PrivateKeys",
    "PublicKeys",
    "argon2id_raw",
    "derive_passphrase_key",
    "envelope_key_version",
    "field_aad",
    "field_aads",
    "from_text",
    "generate_keys",
    "hkdf_sha256",
    "invite_accept_key",
    "invite_key_proof",
    "legacy_invite_key_proof",
    "name_index",
    "name_index_key",
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
    "verification_cache_key",
    "verification_tag",
    "verify",
    "wrap_private_keys",
]
