"""`member reset`: an admin voids a member's keys and gives them a one-time code for the same
account (`app/account_reset`). As `member remove`, it says first what it takes and asks, then
rotates every key the member (and the tokens they made) could read; as `member invite`, the
code's secret is made here and kept (`invite_proofs`), so that the keys the person registers
with it can be checked against the proof their `join` makes."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client.invite_proofs import check_invite_secrets_kept, keep_invite_secret
from envkeep.client.members import Revoked, finish_revocation, lookup
from envkeep.client.principal_names import shown_principal
from envkeep.client.revocation_plan import RevocationPlan, refuse_plan
from envkeep.client.revocation_preview import REVOKE_NOW, foresee_revocation
from envkeep.client.team_server import team_backend
from envkeep.core.errors import (
    IntegrityError,
    NotAnEnvkeepRoute,
    NotFoundError,
    UsageError,
)
from envkeep.core.rotation_left import RotationLeft

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


@dataclass(frozen=True)
class AccountReset:
    """What `member reset` did: the removal (keys rotated, tokens ended), the code for the
    person, how many of their sessions ended, and the rotations left (``--revoke-now`` by an
    admin lacking keys), raised once the code is shown."""

    removed: Revoked
    code: str
    sessions_ended: int
    left: RotationLeft | None = None


def reset(
    ctx: ClientContext,
    email: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    now: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> AccountReset:
    """Reset ``email``'s account once ``confirm`` returns; the code gives them ``role`` at
    that scope again when they join with it."""
    from envkeep.app.credentials import new_secret, token_hash
    from envkeep.client.invite_codes import invite_code

    backend = team_backend(ctx)
    try:
        principal = lookup(ctx, email, suggest=False)
    except NotFoundError:  # reset before, never joined again (disabled): the server decides
        principal = None
    if principal is not None and principal.kind == "service":
        raise UsageError(
            f"'{email}' is a token, not a person's account",
            hint=f"give it a new secret with: envkeep token rotate {shlex.quote(email)}",
        )
    path = f"/v1/workspaces/{backend.workspace_id}/members/reset"
    address = email.strip().lower()
    account = {"principal_id": None if principal is None else principal.id, "email": address}
    _check_first(backend, path, {**account, "role": role})
    check_invite_secrets_kept(ctx, "nothing was reset")
    if principal is not None and principal.id != ctx.identity.principal_id:
        who = shown_principal(principal)
        forecast = foresee_revocation(ctx, backend, who, None, f"resetting {who}", check=not now)
        if forecast.taken:
            command = [  # the one the hint says to run again: every option the reset needs
                *("envkeep", "member", "reset", email, "--role", role),
                *(("--project", project) if project else ()),
                *(("--env", environment) if environment else ()),
                *([REVOKE_NOW] if now else []),
            ]
            confirm(RevocationPlan.of(forecast, shlex.join(command)))
    secret = new_secret()  # never sent: the server gets the hash of a key derived from it
    body = {
        **account,
        "role": role,
        "project": project,
        "environment": environment,
        "accept_hash": token_hash(crypto.invite_accept_key(secret)),
    }
    answer = backend.api.request("POST", path, json=body)
    invite_id = answer.get("invite_id") if isinstance(answer, dict) else None
    if not isinstance(invite_id, str) or len(invite_id) != 36:
        raise IntegrityError("the server did not say which reset code it made", hint=_AGAIN)
    keep_invite_secret(ctx, invite_id, secret, address)
    gone = frozenset() if principal is None else frozenset({principal.id})
    code, ended = invite_code(invite_id, secret), int(answer.get("sessions_ended") or 0)
    try:
        removed = finish_revocation(ctx, answer, gone)
    except RotationLeft as left:  # the reset is done: the code is the person's only way back
        tokens = [str(t) for t in answer.get("tokens_revoked") or []]
        return AccountReset(Revoked(list(left.rotated), tokens), code, ended, left)
    return AccountReset(removed, code, ended)


def _check_first(backend: HttpBackend, path: str, body: dict[str, str | None]) -> None:
    """The server's refusal of the reset, if it would refuse it, before anything is asked or
    rotated (`app/account_reset.check_reset`): an account another workspace shares was refused
    only after its admin said yes. A server older than the check refuses at the reset."""
    try:
        backend.api.request("POST", f"{path}/check", json=body)
    except NotAnEnvkeepRoute as error:
        if not error.route_missing:  # a proxy's refusal is no server older than the check
            raise


_AGAIN = "the server may be older than this envkeep: see envkeep member list, and upgrade it"
