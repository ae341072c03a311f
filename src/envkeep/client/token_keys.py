"""A service-account token's secret and the keys it derives, and a fresh account's keys made
under a new token.

A token is ``ek_sa_v2_<principal id>_<secret>``. The secret derives two keys (DESIGN §4): the
one that unwraps the account's private keys, which never leaves this machine, and the bearer
credential sent to the server, ``ek_sa_<principal id>_<auth key>`` (the server keeps its
SHA-256), from which the first cannot be derived. A token made before v2, ``ek_sa_<principal
id>_<secret>``, is its own bearer credential: the server sees its secret, so it can unwrap the
keys; such a token still works, with a warning to rotate it (`LEGACY_WARNING`).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from envkeep import crypto
from envkeep.api.encoding import b64d, b64e
from envkeep.app.credentials import token_hash
from envkeep.core.durations import parse_duration
from envkeep.core.errors import UsageError

PREFIX = "ek_sa_"  # every token's, and the bearer credential's
_V2 = "v2_"  # after PREFIX: a token whose secret never goes to the server
_SECRET_BYTES = 32  # a token's secret (256 bits)
_WRAP_INFO = b"envkeep/v1/service-account-wrap"
_AUTH_INFO = b"envkeep/v1/service-account-auth"


@dataclass(frozen=True)
class ParsedToken:
    """What a token holds: its account, its secret, and whether it is a v2 token."""

    principal_id: str
    secret: bytes = field(repr=False)
    v2: bool

    @property
    def bearer(self) -> str:
        """The credential sent to the server: for a v2 token, a key derived from the secret,
        which reveals nothing of the key that unwraps the account's private keys; an older
        token is sent whole, as its server expects."""
        secret = auth_key(self.secret) if self.v2 else self.secret
        return f"{PREFIX}{self.principal_id}_{b64e(secret)}"


def parse_token(token: str) -> ParsedToken:
    """A token's parts; a usage error when it is not one."""
    if not token.strip().startswith(PREFIX):
        raise UsageError("ENVKEEP_TOKEN is not an envkeep token", hint="it starts with ek_sa_")
    body = token.strip().removeprefix(PREFIX)
    v2 = body.startswith(_V2)
    principal_id, sep, secret = body.removeprefix(_V2).partition("_")
    try:
        decoded = b64d(secret) if sep and len(principal_id) == 36 else b""
    except ValueError:
        decoded = b""
    if len(decoded) != _SECRET_BYTES:  # the id or the secret cut short, or damaged
        raise UsageError(
            "ENVKEEP_TOKEN is cut short or damaged: an envkeep token is ek_sa_v2_, an id of 36"
            " characters, '_' and a secret of 43",
            hint="copy it again whole from where it was kept (token create printed it once)",
        )
    return ParsedToken(principal_id, decoded, v2)


def wrap_key(secret: bytes) -> bytes:
    """The key that wraps a service account's private keys, from its token's secret."""
    return crypto.hkdf_sha256(secret, salt=None, info=_WRAP_INFO, length=32)


def auth_key(secret: bytes) -> bytes:
    """The key a v2 token authenticates with, from its secret (the server sees this one)."""
    return crypto.hkdf_sha256(secret, salt=None, info=_AUTH_INFO, length=_SECRET_BYTES)


# What is said of a token made before v2 (its secret goes to the server, which can then unwrap
# its keys and read what it reads), on every command that uses it.
LEGACY_WARNING = (
    "ENVKEEP_TOKEN was made by an envkeep older than 0.2: it sends the server its secret,"
    " from which the server could unwrap its keys and read what it reads; replace it with"
    " envkeep token rotate NAME (run by an admin; the new token never sends its secret)"
)


NEVER = "never"  # the lifetime of a token that does not expire


def _expiry(expires: str | None) -> str | None:
    """When a token made now with lifetime ``expires`` ends (None: never, or not given)."""
    if expires is None or expires == NEVER:
        return None
    return (datetime.now(UTC) + parse_duration(expires)).isoformat()


@dataclass(frozen=True)
class NewAccount:
    """Fresh keys for a service account, wrapped under a fresh token's secret."""

    token: str = field(repr=False)
    principal_id: str
    public: crypto.PublicKeys
    body: dict[str, Any] = field(repr=False)  # what the server stores about it


def new_account(expires: str | None) -> NewAccount:
    keys = crypto.generate_keys()
    principal_id = str(uuid.uuid4())
    secret = secrets.token_bytes(_SECRET_BYTES)
    token = f"{PREFIX}{_V2}{principal_id}_{b64e(secret)}"
    expires_at = _expiry(expires)
    public = keys.public()
    body = {
        "principal_id": principal_id,
        "encryption_public": b64e(public.encryption),
        "signing_public": b64e(public.signing),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(keys, wrap_key(secret))),
        "token_hash": token_hash(parse_token(token).bearer),
        "expires_at": expires_at,
    }
    return NewAccount(token, principal_id, public, body)


def never_field(expires: str | None) -> dict[str, bool]:
    """The field that asks for a token that never expires, when ``expires`` says so."""
    # Sent only when asked for: a server from before the field refuses unknown fields.
    return {"never_expires": True} if expires == NEVER else {}
