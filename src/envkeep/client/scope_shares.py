"""Sealing data keys to a principal: one share, or a share of every environment in a scope.

Used when a role is granted, when a token is created or rotated (its new keys get a share of
everything its scope opens) and when an environment's key is rotated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.api.encoding import b64e

if TYPE_CHECKING:
    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def seal_for(
    ctx: ClientContext,
    dek: bytes,
    *,
    env_id: str,
    key_version: int,
    recipient_id: str,
    recipient: crypto.PublicKeys,
) -> dict[str, object]:
    """``dek`` sealed by this identity to ``recipient``, as the API takes a share."""
    sealed = crypto.seal_share(
        dek,
        env_id=env_id,
        key_version=key_version,
        recipient_id=recipient_id,
        recipient=recipient,
        sharer=ctx.identity.keys,
    )
    return {
        "environment_id": env_id,
        "key_version": key_version,
        "recipient_id": recipient_id,
        "sealed": b64e(sealed),
    }


def scope_environments(
    backend: HttpBackend, *, project: str | None = None, environment: str | None = None
) -> list[dict[str, Any]]:
    """The environments a scope covers (neither given: the whole workspace), as the server
    lists them: project, environment, key_version, and environment_id (a server from before
    it gave ids gives none)."""
    params = {k: v for k, v in {"project": project, "environment": environment}.items() if v}
    listed: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/scope-environments", params=params
    )
    return listed


def seal_scope_shares(
    ctx: ClientContext,
    backend: HttpBackend,
    *,
    project: str | None,
    environment: str | None,
    recipient_id: str,
    recipient: crypto.PublicKeys,
    listed: list[dict[str, Any]] | None = None,
    read: list[EnvironmentSnapshot] | None = None,
    again: str | None = None,
    opened: dict[tuple[str, int], bytes] | None = None,
) -> list[dict[str, object]]:
    """A share for ``recipient`` of the current data key of every environment the scope
    (None: all of it) covers, each key unsealed here from this identity's own share of it
    (only that one: a grant seals no older key, so a share of one that does not open stops
    nothing here); ``listed``: the scope's environments, when the caller listed them already.
    Each environment's snapshot (every scope's values) is appended to ``read`` when given:
    `token create` takes the signers of what the token will read from them. A key this
    identity holds no share of stops it, naming who holds it (`key_holders`) and asking them
    to run ``again`` (the command that needs it) or, with None, to seal it to this identity.

    ``opened``: the data keys this identity opened from its own shares so far, by (environment
    id, key version), kept across the grants of one command (`member seal`): an environment
    the listing names at a key version held there is not read again (a read is every value of
    it: 30 members x 4 environments of 3,600 variables were 120 reads of 3,600 versions). Each
    key read here is added to it."""
    from envkeep.client.envelopes import open_current_key
    from envkeep.client.key_holders import named_holders
    from envkeep.core.errors import KeyNotHeld

    if listed is None:
        listed = scope_environments(backend, project=project, environment=environment)
    shares = []
    services: list[str] | None = None if read is not None else []  # None: services' values too
    for item in listed:
        held = _held(opened, item) if read is None else None
        if held is None:
            snapshot = backend.read_environment(item["project"], item["environment"], services)
            if read is not None:
                read.append(snapshot)
            try:
                dek = open_current_key(snapshot, ctx.identity.principal_id, ctx.identity.keys)
            except KeyNotHeld as missing:
                raise named_holders(ctx, missing, again) from None
            held = (snapshot.environment.id, snapshot.environment.key_version, dek)
            if opened is not None:
                opened[held[0], held[1]] = dek
        env_id, key_version, dek = held
        shares.append(
            seal_for(
                ctx,
                dek,
                env_id=env_id,
                key_version=key_version,
                recipient_id=recipient_id,
                recipient=recipient,
            )
        )
    return shares


def _held(
    opened: dict[tuple[str, int], bytes] | None, item: dict[str, Any]
) -> tuple[str, int, bytes] | None:
    """The (environment id, key version, data key) of a listed environment whose current key
    this command opened already, else None (a listing without an id: a server before them)."""
    env_id, key_version = item.get("environment_id"), item.get("key_version")
    if opened is None or not isinstance(env_id, str) or not isinstance(key_version, int):
        return None
    dek = opened.get((env_id, key_version))
    return None if dek is None else (env_id, key_version, dek)
