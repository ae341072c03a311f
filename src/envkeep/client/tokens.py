"""Service-account tokens, client side: create (keys made here, shares sealed here), list,
revoke (then rotate what it could read), and using one through ENVKEEP_TOKEN.

A token is ``ek_sa_<principal id>_<secret>``; the secret derives the key that unwraps the
account's private keys, and the whole token is the bearer credential (the server keeps SHA-256).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.api.encoding import b64d, b64e
from envkeep.app.credentials import token_hash
from envkeep.client.members import _http, _seal, rotate_environments
from envkeep.core.errors import NotAuthenticated, UsageError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

PREFIX = "ek_sa_"
_WRAP_INFO = b"envkeep/v1/service-account-wrap"


def parse_token(token: str) -> tuple[str, bytes]:
    """(principal id, secret) of a token; a usage error when it is not one."""
    body = token.strip().removeprefix(PREFIX)
    principal_id, sep, secret = body.partition("_")
    if not token.strip().startswith(PREFIX) or not sep or len(principal_id) != 36:
        raise UsageError("ENVKEEP_TOKEN is not an envkeep token", hint="it starts with ek_sa_")
    try:
        return principal_id, b64d(secret)
    except ValueError:
        raise UsageError("ENVKEEP_TOKEN is damaged", hint="copy it again") from None


def wrap_key(secret: bytes) -> bytes:
    """The key that wraps a service account's private keys, from its token's secret."""
    return crypto.hkdf_sha256(secret, salt=None, info=_WRAP_INFO, length=32)


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` → a timedelta."""
    units = {"d": 86400, "h": 3600, "m": 60}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise UsageError(f"'{text}' is not a duration", hint="e.g. 30d, 12h or 90m")
    return timedelta(seconds=int(number) * units[unit])


def create_token(
    ctx: ClientContext,
    name: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    expires: str | None,
) -> str:
    """A new service account with ``role`` at the scope; its token, shown once."""
    backend = _http(ctx)
    keys = crypto.generate_keys()
    principal_id = str(uuid.uuid4())
    secret = secrets.token_bytes(32)
    token = f"{PREFIX}{principal_id}_{b64e(secret)}"
    params = {k: v for k, v in {"project": project, "environment": environment}.items() if v}
    scope = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/scope-environments", params=params
    )
    shares = []
    for item in scope:
        snapshot = backend.read_environment(item["project"], item["environment"], [])
        from envkeep.client.envelopes import open_data_keys

        deks = open_data_keys(snapshot, ctx.identity.principal_id, ctx.identity.keys)
        env = snapshot.environment
        shares.append(
            _seal(
                ctx,
                deks[env.key_version],
                env_id=env.id,
                key_version=env.key_version,
                recipient_id=principal_id,
                recipient=keys.public(),
            )
        )
    expires_at = (
        None if expires is None else (datetime.now(UTC) + parse_duration(expires)).isoformat()
    )
    public = keys.public()
    body: dict[str, Any] = {
        "principal_id": principal_id,
        "name": name,
        "role": role,
        "project": project,
        "environment": environment,
        "encryption_public": b64e(public.encryption),
        "signing_public": b64e(public.signing),
        "wrapped_private_keys": b64e(crypto.wrap_private_keys(keys, wrap_key(secret))),
        "token_hash": token_hash(token),
        "expires_at": expires_at,
        "shares": shares,
    }
    backend.api.request("POST", f"/v1/workspaces/{backend.workspace_id}/tokens", json=body)
    return token


def list_tokens(ctx: ClientContext) -> list[dict[str, Any]]:
    """The workspace's service accounts."""
    backend = _http(ctx)
    found: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/tokens"
    )
    return found


def revoke_token(ctx: ClientContext, name: str) -> list[str]:
    """End a token, then rotate the data key of every environment it could read."""
    backend = _http(ctx)
    answer = backend.api.request(
        "POST", f"/v1/workspaces/{backend.workspace_id}/tokens/{name}/revoke"
    )
    return rotate_environments(ctx, set(answer["environment_ids"]))


def token_identity(url: str, token: str) -> tuple[str, str, crypto.PrivateKeys]:
    """(principal id, workspace id, private keys) of a token, unwrapped here."""
    from envkeep.client.http import ApiClient

    principal_id, secret = parse_token(token)
    api = ApiClient(url, token=token)
    try:
        data = api.request("GET", "/v1/token/self")
    finally:
        api.close()
    keys = crypto.unwrap_private_keys(b64d(data["wrapped_private_keys"]), wrap_key(secret))
    if data["principal_id"] != principal_id or keys.public().signing != b64d(
        data["signing_public"]
    ):
        raise NotAuthenticated("the server's answer does not match this token")
    return principal_id, str(data["workspace_id"]), keys
