"""`token revoke`: a token ended, then the data keys of what it could read rotated."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.api import schemas
from envkeep.client.members import Revoked, finish_revocation
from envkeep.client.revocation_plan import RevocationPlan, refuse_plan
from envkeep.client.revocation_preview import REVOKE_NOW, TokenRevoker
from envkeep.client.team_server import team_backend
from envkeep.client.token_list import account_ids

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class TokenRevoked(Revoked):
    """What `token revoke` did, and the environments whose keys it left to an admin
    (project, environment): those its creator, revoking it, is no admin of."""

    left: tuple[tuple[str, str], ...] = ()


def revoke_token(
    ctx: ClientContext,
    name: str,
    *,
    now: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> TokenRevoked:
    """End a token (and the tokens it made), then rotate the data key of every environment
    they could read. Its admin (wherever it holds a role) is refused before anything changes
    when this identity could not rotate them all (`foresee_revocation`), unless ``now``. Its
    creator, who needed no admin to make it, revokes it at once and rotates only the keys of
    the environments it is an admin of; the others are left named (`TokenRevoked.left`). It
    goes on only once ``confirm`` returns, told what it will do (it raises to stop; by
    default it refuses); a token the caller does not see live is left to the server."""
    backend = team_backend(ctx)
    revoker = TokenRevoker.of(ctx, backend, name)
    forecast = revoker.foresee(backend)
    if revoker.admin_over_all and not now:  # else cut now; what is not rotated is named
        revoker.check(ctx, backend, forecast)
    elif not now:  # ENVKEEP_SIGNERS must not stop the rotations it does do
        revoker.check_listed(ctx, backend, forecast)
    if revoker.live:
        command = shlex.join(["envkeep", "token", "revoke", name, *([REVOKE_NOW] if now else [])])
        rotates = None if revoker.admin_over_all else revoker.may_rotate
        confirm(RevocationPlan.of(forecast, command, rotates))
    ended = account_ids(ctx, {name})  # before: a token revoked is listed by whoever saw it live
    answer = backend.api.request(
        "POST",
        f"/v1/workspaces/{backend.workspace_id}/tokens/{name}/revoke",
        answer=schemas.TokenRevoked,
    )
    if revoker.admin_over_all:
        done = finish_revocation(ctx, answer, ended)
        return TokenRevoked(done.rotated, done.tokens)
    named = [item for item in answer.get("environments") or [] if isinstance(item, dict)]
    mine = [e for e in named if revoker.may_rotate(e.get("project"), e.get("environment"))]
    scoped = {**answer, "environment_ids": [], "environments": mine}
    done = finish_revocation(ctx, scoped, ended)
    left = sorted(
        (str(e.get("project")), str(e.get("environment"))) for e in named if e not in mine
    )
    return TokenRevoked(done.rotated, done.tokens, left=tuple(left))
