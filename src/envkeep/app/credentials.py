"""Bearer tokens, invite secrets and the server's hash of login keys.

Tokens and invite secrets are 256 random bits, stored as SHA-256 (enough for random secrets).
A login key (the client's Argon2id-derived ``auth_key``) is stored as an Argon2id hash too, so
a stolen database does not even give a replayable login key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_secret() -> str:
    """256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """How a bearer token or invite secret is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_login_key(auth_key: bytes) -> str:
    """The stored form of a login key."""
    return _HASHER.hash(auth_key)


def login_key_matches(stored: str | None, auth_key: bytes) -> bool:
    """Whether ``auth_key`` is the login key ``stored`` was made from (False for None, so
    unknown accounts cost the same work: a dummy hash is checked)."""
    try:
        return _HASHER.verify(stored or dummy_hash(), auth_key) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def fake_salt(server_key: bytes, email: str) -> bytes:
    """A stable salt for an unknown email, so prelogin answers the same shape for everyone."""
    return hmac.digest(server_key, email.lower().encode(), "sha256")[:16]


@functools.cache
def dummy_hash() -> str:
    """The hash an unknown account's login is checked against. Made once, on first use (the
    server makes it as it starts, so that no login waits for it): the CLI imports this module
    for ``token_hash`` and never needs it."""
    return _HASHER.hash(b"\0" * 32)
