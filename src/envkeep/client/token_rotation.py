"""`token rotate`: a token replaced by one with new keys, the same roles and scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.api import schemas
from envkeep.client.key_rotation import rotate_environments
from envkeep.client.pins import pin_made_here
from envkeep.client.revocation_preview import check_token_rotation
from envkeep.client.scope_shares import seal_scope_shares
from envkeep.client.team_server import team_backend
from envkeep.client.token_keys import never_field, new_account
from envkeep.client.token_list import list_tokens
from envkeep.core.errors import NotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class Minted:
    """A token made now, to be shown once, and when it expires (ISO 8601; None: never).
    ``known`` False: the server did not say (one older than this client, asked to keep the old
    token's lifetime)."""

    token: str = field(repr=False)
    expires_at: str | None
    known: bool = True
    at_maximum: bool = False  # the server's maximum lifetime chose it (capped, or none asked)


def rotate_token(
    ctx: ClientContext, name: str, *, expires: str | None, show: Callable[[Minted], None]
) -> list[str]:
    """Replace the live token named ``name`` by one with new keys, the same roles and scopes
    (and, without ``expires``, the same lifetime; ``never``: none); the old one stops working
    at once. The new token goes to ``show`` (it is shown once) before the data key of every
    environment the old one could read is rotated, as a revocation does, so that a rotation
    that fails cannot lose it. Return the rotated environments."""
    backend = team_backend(ctx)
    rows = [t for t in list_tokens(ctx) if t["label"] == name]  # a row per role it holds
    if not rows:
        raise NotFoundError(f"no token named '{name}'", hint="see them with: envkeep token list")
    new = new_account(expires)
    shares: dict[tuple[object, object], dict[str, object]] = {}
    # A row without a role opens nothing; a revoked token gets none (the server says why).
    live = [t for t in rows if not t["revoked"] and t["role"]]
    scopes = {(t["project"], t["environment"]) for t in live}
    if live:
        check_token_rotation(ctx, backend, name, scopes)
    for project, environment in sorted(scopes, key=str):
        for share in seal_scope_shares(
            ctx,
            backend,
            project=project,
            environment=environment,
            recipient_id=new.principal_id,
            recipient=new.public,
        ):
            shares[share["environment_id"], share["key_version"]] = share
    answer = backend.api.request(
        "POST",
        f"/v1/workspaces/{backend.workspace_id}/tokens/{name}/rotate",
        # Sent only when asked for: a server from before the flag refuses unknown fields.
        json={
            **new.body,
            "shares": list(shares.values()),
            **never_field(expires),
        },
        answer=schemas.TokenRotated,
    )
    told = "expires_at" in answer  # an older server says nothing when asked to keep it
    ends = answer.get("expires_at") if told else new.body["expires_at"]
    at_maximum = answer.get("at_maximum") is True
    show(Minted(new.token, ends, known=told or expires is not None, at_maximum=at_maximum))
    pin_made_here(ctx, new.principal_id, new.public)
    old_ids = frozenset(  # rotated out: sealed nothing
        str(t["principal"]["id"]) for t in rows if isinstance(t.get("principal"), dict)
    )
    return rotate_environments(ctx, answer, old_ids)
