"""Sealing and signing, protocol v1 (DESIGN §4): envelopes, name indexes, signatures and their
verified-cache tags, data-key shares, and private keys at rest.

Every ciphertext is a versioned envelope::

    version (1 byte, = FORMAT_VERSION) | key_version (4 bytes, big-endian) | nonce (12) | ct || tag

The 5 header bytes are prepended to the caller's associated data, so neither can be changed
unnoticed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from envkeep.core.errors import CryptoError, IntegrityError, WrongPassphrase
from envkeep.crypto import _pyca
from envkeep.crypto.encoding import (
    FORMAT_VERSION,
    HEADER_SIZE,
    KEY_SIZE,
    MIN_ENVELOPE,
    NONCE_SIZE,
    PAYLOAD,
    SIGNATURE_SIZE,
    length_prefixed,
    require_key,
    require_key_version,
    utf8,
)
from envkeep.crypto.keys import HmacKey, PrivateKeys, PublicKeys, hkdf_sha256

if TYPE_CHECKING:
    from collections.abc import Sequence

_SHARE_PREFIX = 1 + KEY_SIZE + SIGNATURE_SIZE
_SIG_LABEL = b"envkeep/v1/sig"
_SHARE_LABEL = b"envkeep/v1/share"
_NAME_INDEX_INFO = b"envkeep/v1/name-index"
_PRIVATE_KEYS_AAD = b"envkeep/v1/private-keys"
_INVITE_PROOF_INFO = b"envkeep/v2/invite-proof"
_INVITE_ACCEPT_INFO = b"envkeep/v2/invite-accept"


# --- envelopes --------------------------------------------------------------------------------


def _header(key_version: int) -> bytes:
    return bytes([FORMAT_VERSION]) + key_version.to_bytes(4, "big")


def seal(key: bytes, plaintext: bytes, aad: bytes, *, key_version: int) -> bytes:
    """Encrypt with AES-256-GCM into a v1 envelope bound to ``aad`` and ``key_version``."""
    require_key(key, "an AES-256-GCM key")
    require_key_version(key_version)
    header = _header(key_version)
    nonce = os.urandom(NONCE_SIZE)
    return header + nonce + _pyca.aead(key).encrypt(nonce, plaintext, header + aad)


def envelope_key_version(envelope: bytes) -> int:
    """Return the key version recorded in an envelope's header; IntegrityError if malformed."""
    if len(envelope) < MIN_ENVELOPE:
        raise IntegrityError("encrypted data is truncated")
    if envelope[0] != FORMAT_VERSION:
        raise IntegrityError(
            f"encrypted data has format version {envelope[0]}, expected {FORMAT_VERSION}",
            hint="it may come from a newer envkeep: upgrade this client",
        )
    return int.from_bytes(envelope[1:HEADER_SIZE], "big")


def open_envelope(key: bytes, envelope: bytes, aad: bytes) -> bytes:
    """Decrypt a v1 envelope; IntegrityError if it was changed, moved or sealed with another key."""
    return EnvelopeKey(key).open(envelope, aad)


class EnvelopeKey:
    """:func:`open_envelope` under one key, checked once, for opening thousands of envelopes."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        require_key(key, "an AES-256-GCM key")
        self._aead = _pyca.aead(key)

    def __repr__(self) -> str:
        return "EnvelopeKey(<redacted>)"

    def open(self, envelope: bytes, aad: bytes) -> bytes:
        """Decrypt a v1 envelope; IntegrityError as :func:`open_envelope`."""
        if len(envelope) < MIN_ENVELOPE or envelope[0] != FORMAT_VERSION:
            envelope_key_version(envelope)  # raises the matching IntegrityError
        try:
            return self._aead.decrypt(
                envelope[HEADER_SIZE:PAYLOAD], envelope[PAYLOAD:], envelope[:HEADER_SIZE] + aad
            )
        except _pyca.InvalidTag:
            raise IntegrityError(
                "encrypted data failed verification: it was changed, moved, "
                "or sealed with another key"
            ) from None


# --- name indexes -----------------------------------------------------------------------------


def name_index(dek: bytes, name: str) -> bytes:
    """Return the server's lookup tag for a variable name: HMAC-SHA256 under the index key."""
    require_key(dek, "the environment data key")
    return _index_key(dek).digest(utf8(name, "the variable name"))


def name_index_key(dek: bytes) -> HmacKey:
    """The name index's HMAC key of a data key: ``name_index(dek, n)`` is its digest of n's
    UTF-8 bytes (for indexing thousands of names)."""
    require_key(dek, "the environment data key")
    return _index_key(dek)


@functools.lru_cache(maxsize=64)
def _index_key(dek: bytes) -> HmacKey:
    # Derived once per data key: an environment's names are indexed thousands at a time.
    return HmacKey(hkdf_sha256(dek, salt=None, info=_NAME_INDEX_INFO, length=KEY_SIZE))


# --- signatures -------------------------------------------------------------------------------


def _signed_message(parts: Sequence[bytes]) -> bytes:
    return _SIG_LABEL + length_prefixed(parts)


def sign(keys: PrivateKeys, parts: Sequence[bytes]) -> bytes:
    """Sign ``parts`` (length-prefixed, domain-separated) with the Ed25519 key; 64 bytes."""
    return _pyca.ed25519_private(keys.signing).sign(_signed_message(parts))


def verify(signer: PublicKeys, signature: bytes, parts: Sequence[bytes]) -> None:
    """Check a signature made by :func:`sign`; IntegrityError if it does not match ``signer``."""
    if len(signature) != SIGNATURE_SIZE:
        raise IntegrityError("signature is malformed")
    try:
        _pyca.ed25519_public(signer.signing).verify(signature, _signed_message(parts))
    except (_pyca.InvalidSignature, ValueError):
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
    digest = hashlib.sha256(_SIG_LABEL + length_prefixed(parts)).digest()  # _signed_message
    return cache_key.digest(signer.signing + signature + digest)[:16]


def invite_key_proof(invite_secret: str, invite_id: str, email: str, public: PublicKeys) -> str:
    """What an invitee sends with its public keys: an HMAC of them, the invite's id and the
    invitee's email under a key derived from the invite's one-time secret, which only the
    inviter also knows (the inviter's client made it, and the server is sent
    `invite_accept_key`, from which this key cannot be derived), so the inviter can tell the
    server handed out the invitee's real keys, and for that person (DESIGN §4, Trust)."""
    key = hkdf_sha256(
        utf8(invite_secret, "the invite secret"), salt=None, info=_INVITE_PROOF_INFO, length=32
    )
    message = length_prefixed(
        (
            _INVITE_PROOF_INFO,
            utf8(invite_id, "invite_id"),
            utf8(email, "email"),
            public.encryption,
            public.signing,
        )
    )
    return hmac.new(key, message, "sha256").hexdigest()


def legacy_invite_key_proof(invite_secret: str, public: PublicKeys) -> str:
    """The proof an envkeep before 0.2 sent: an HMAC under the secret itself, which that
    client also sent the server in the code, so the server could make it for keys of its own.
    An inviter reads one as no proof at all (`client/invite_proofs.py`)."""
    message = b"envkeep/v1/invite-key" + public.encryption + public.signing
    return hmac.new(utf8(invite_secret, "the invite secret"), message, "sha256").hexdigest()


def invite_accept_key(invite_secret: str) -> str:
    """What a joining client sends the server in place of an invite's secret (the server
    keeps its SHA-256): derived from the secret, and useless for `invite_key_proof`'s key."""
    derived = hkdf_sha256(
        utf8(invite_secret, "the invite secret"), salt=None, info=_INVITE_ACCEPT_INFO, length=32
    )
    return base64.urlsafe_b64encode(derived).rstrip(b"=").decode("ascii")


# --- shares of an environment data key --------------------------------------------------------


def _share_aad(env_id: str, key_version: int, recipient_id: str) -> bytes:
    require_key_version(key_version)
    return length_prefixed(
        (
            _SHARE_LABEL,
            utf8(env_id, "env_id"),
            str(key_version).encode("ascii"),
            utf8(recipient_id, "recipient_id"),
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
    require_key(dek, "the environment data key")
    aad = _share_aad(env_id, key_version, recipient_id)
    ephemeral = _pyca.x25519_generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(_pyca.x25519_public(recipient.encryption))
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
    if len(sealed) < _SHARE_PREFIX + MIN_ENVELOPE or sealed[0] != FORMAT_VERSION:
        raise IntegrityError("the shared environment key is malformed or truncated")
    aad = _share_aad(env_id, key_version, recipient_id)
    eph_pub = sealed[1 : 1 + KEY_SIZE]
    signature = sealed[1 + KEY_SIZE : _SHARE_PREFIX]
    envelope = sealed[_SHARE_PREFIX:]
    verify(sharer, signature, (aad, eph_pub, envelope))
    if envelope_key_version(envelope) != key_version:
        raise IntegrityError("the shared environment key is for another key version")
    own_private = _pyca.x25519_private(recipient.encryption)
    own_public = own_private.public_key().public_bytes_raw()
    try:
        shared = own_private.exchange(_pyca.x25519_public(eph_pub))
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


# --- private keys at rest ---------------------------------------------------------------------


def wrap_private_keys(keys: PrivateKeys, wrap_key: bytes) -> bytes:
    """Encrypt private keys under a wrap key derived from a passphrase or a token secret."""
    return seal(wrap_key, keys.to_bytes(), _PRIVATE_KEYS_AAD, key_version=1)


def unwrap_private_keys(blob: bytes, wrap_key: bytes) -> PrivateKeys:
    """Decrypt private keys wrapped by :func:`wrap_private_keys`; WrongPassphrase on failure."""
    require_key(wrap_key, "the key-wrapping key")
    try:
        return PrivateKeys.from_bytes(open_envelope(wrap_key, blob, _PRIVATE_KEYS_AAD))
    except CryptoError:
        raise WrongPassphrase(
            "could not unlock the private keys: wrong passphrase or damaged key file",
            hint="check the passphrase (ENVKEEP_PASSPHRASE, or the one typed) and try again",
        ) from None
