"""Using a token through ENVKEEP_TOKEN: its identity as the server answers for it (keys
unwrapped here), and the warning of a token about to expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.api.encoding import b64d
from envkeep.client.token_keys import wrap_key
from envkeep.core.errors import NotAuthenticated
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from envkeep.client.accounts import ServerSession
    from envkeep.client.token_keys import ParsedToken


TokenScopes = tuple[tuple[str | None, str | None], ...]


@dataclass(frozen=True)
class TokenIdentity:
    """What the server says of the token a command runs with, its keys unwrapped here."""

    principal_id: str
    workspace_id: str
    keys: crypto.PrivateKeys
    scopes: TokenScopes  # (project, environment) by name, None for all of it; none from old servers
    expires_at: datetime | None  # None: never (or not said)
    says_expiry: bool  # False from a server from before it said


def token_identity(url: str, parsed: ParsedToken) -> TokenIdentity:
    """A token's identity as the server answers for it, checked against the token."""
    from envkeep.client.api_client import ApiClient

    principal_id = parsed.principal_id
    api = ApiClient(url, token=parsed.bearer)
    try:
        data = api.request("GET", "/v1/token/self")
    finally:
        api.close()
    keys = crypto.unwrap_private_keys(b64d(data["wrapped_private_keys"]), wrap_key(parsed.secret))
    if data["principal_id"] != principal_id or keys.public().signing != b64d(
        data["signing_public"]
    ):
        raise NotAuthenticated("the server's answer does not match this token")
    return TokenIdentity(
        principal_id,
        str(data["workspace_id"]),
        keys,
        _scopes(data.get("scopes")),
        _moment(data.get("expires_at")),
        "expires_at" in data,
    )


EXPIRY_WARNING = timedelta(days=7)  # a token's commands say so from this long before it ends


def expiry_warning(session: ServerSession, expires_at: datetime | None) -> str | None:
    """What a command run with a token says when the token ends within `EXPIRY_WARNING`, so
    that a CI job's log tells before the job fails; None otherwise."""
    if expires_at is None:
        return None
    left = expires_at - datetime.now(UTC)
    if left > EXPIRY_WARNING or left.total_seconds() <= 0:
        return None
    from envkeep.client.accounts import token_name
    from envkeep.core.durations import about

    name = token_name(session)
    return (
        f"ENVKEEP_TOKEN (token '{name}') expires in {about(left)}, at {utc_second(expires_at)};"
        f" an admin where it holds its role makes its successor with: envkeep token rotate"
        f" {name} (its creator may revoke it and create another)"
    )


def _moment(found: object) -> datetime | None:
    """An answer's time, read leniently: None for anything that is not one."""
    if not isinstance(found, str):
        return None
    try:
        return as_utc(found)
    except ValueError:
        return None


def _scopes(found: object) -> TokenScopes:
    """The scopes of a token's answer, read leniently: none for anything unexpected."""
    if not isinstance(found, list):
        return ()
    scopes = []
    for item in found:
        if not isinstance(item, dict):
            return ()
        project, environment = item.get("project"), item.get("environment")
        if not all(v is None or isinstance(v, str) for v in (project, environment)):
            return ()
        scopes.append((project, environment))
    return tuple(scopes)
