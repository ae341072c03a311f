"""Pending invites, client side: `member list` shows them beside the members, and `member
remove EMAIL` withdraws them (for someone invited who has not joined) or withdraws them with
the member's removal (the server does both in one request).

A state tells the entries of `member list --json` apart: ``active`` for a role a member holds,
``pending`` or ``expired`` for an invite nobody accepted.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from envkeep.client import member_revocation, members
from envkeep.client.revocation_plan import refuse_plan
from envkeep.client.team_server import team_backend
from envkeep.core.errors import EnvkeepError, NotAnEnvkeepRoute, NotFoundError
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend
    from envkeep.client.revocation_plan import RevocationPlan

ACTIVE, PENDING, EXPIRED = "active", "pending", "expired"


def pending_invites(ctx: ClientContext) -> list[dict[str, Any]]:
    """The invites nobody accepted yet that the server shows the caller (none from a server
    older than the listing of invites)."""
    from envkeep.api.schemas import PendingInvite
    from envkeep.client.answer_rows import read_rows

    backend = team_backend(ctx)
    try:
        found = read_rows(
            PendingInvite,
            backend.api.request(
                "GET", f"/v1/workspaces/{backend.workspace_id}/invites", answer=[PendingInvite]
            ),
        )
    except NotAnEnvkeepRoute as error:
        if not error.route_missing:  # a proxy's refusal hides no invites silently
            raise
        return []
    return [{**i, "state": EXPIRED if i.get("expired") else PENDING} for i in found]


def roster(ctx: ClientContext) -> list[dict[str, Any]]:
    """What `member list` shows: each role a member holds (state ``active``, or ``expired``
    for a token past its expiry), then each pending invite (state ``pending`` or
    ``expired``)."""
    held = [
        {**m, "state": EXPIRED if m.get("expired") else ACTIVE} for m in members.list_members(ctx)
    ]
    return held + pending_invites(ctx)


def scope_words(entry: dict[str, Any]) -> str:
    """Where a role or an invite applies: ``shop``, ``shop/dev`` or ``the workspace``."""
    return "/".join(p for p in (entry.get("project"), entry.get("environment")) if p) or (
        "the workspace"
    )


def state_words(entry: dict[str, Any], now: datetime) -> str:
    """``active``, ``pending, expires in 2d 23h`` or ``expired``."""
    if entry["state"] != PENDING:
        return str(entry["state"])
    left = _utc(str(entry["expires_at"])) - now
    return f"pending, expires in {_duration(max(1, int(left.total_seconds() // 60)))}"


def _duration(minutes: int) -> str:
    """``2d 23h``, ``5h 10m``, ``12m``: the two largest units (the second left out at 0)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def expired_notes(found: list[dict[str, Any]]) -> list[str]:
    """What `member list` says about the invites in ``found`` (its roster) that expired unused,
    one for each email and scope: none once the email is a member's (they joined with a later
    code) or has a pending or newer invite to that scope. Clearing it with `member remove` is
    offered only where that withdraws expired invites alone: never for a member (whom it
    removes) nor for someone with a pending invite (which it withdraws too)."""
    members = {m["principal"]["name"] for m in found if "principal" in m}
    invites = [i for i in found if "principal" not in i]
    return [
        expired_note(
            i, clear=all(o["state"] == EXPIRED for o in invites if o["email"] == i["email"])
        )
        for i in invites
        if i["state"] == EXPIRED
        and i["email"] not in members
        and not any(_supersedes(o, i) for o in invites)
    ]


def _supersedes(newer: dict[str, Any], invite: dict[str, Any]) -> bool:
    """Whether ``newer`` makes inviting again to ``invite``'s scope needless: pending, or made
    later (of two expired, the later one's note is enough)."""
    scope = ("email", "project", "environment")
    if newer is invite or any(newer.get(k) != invite.get(k) for k in scope):
        return False
    made = (_utc(newer["created_at"]), newer["id"]) > (_utc(invite["created_at"]), invite["id"])
    return newer["state"] == PENDING or made


def expired_note(invite: dict[str, Any], *, clear: bool) -> str:
    """What to do about an invite that expired unused: invite again, or (``clear``: when
    `member remove` would withdraw only expired invites, as for someone who is no member and
    has no pending one) clear it."""
    email = str(invite["email"])
    scope = [
        *(["--project", invite["project"]] if invite.get("project") else []),
        *(["--env", invite["environment"]] if invite.get("environment") else []),
    ]
    again = shlex.join(["envkeep", "member", "invite", email, "--role", invite["role"], *scope])
    said = f"the invite for {email} expired unused: invite again with: {again}"
    if not clear:
        return said
    return f"{said} (or clear it: {shlex.join(['envkeep', 'member', 'remove', email])})"


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Removal:
    """What `member remove` did: a member's removal (None: it was no member, only invited)
    and the invites withdrawn with it or instead of it."""

    removed: members.Revoked | None
    withdrawn: list[dict[str, Any]]
    # The invites the removed member made, pending (withdrawn by the server with the removal).
    made: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, who: str) -> str:
        """One line saying what happened."""
        invites = ", ".join(f"{i['role']} on {scope_words(i)}" for i in self.withdrawn)
        if self.removed is None:
            if len(self.withdrawn) == 1:
                return f"withdrew the invite for {who} ({invites}): its code no longer works"
            count = counted(len(self.withdrawn), "invite")
            return f"withdrew {count} for {who} ({invites}): their codes no longer work"
        plural = "s" if len(self.withdrawn) > 1 else ""
        also = f" and withdrew their pending invite{plural} ({invites})" if self.withdrawn else ""
        if self.made:
            to = ", ".join(sorted({str(i["email"]) for i in self.made}))
            also += f" and {counted(len(self.made), 'invite')} they made (to {to})"
        return f"removed {who}{also}; {self.removed.ended('their')}{self.removed.keys()}"


def remove(
    ctx: ClientContext,
    who: str,
    *,
    now: bool = False,
    invites_only: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> Removal:
    """`member remove`: someone only invited (not a member the caller sees) has their
    pending invites withdrawn, unasked (no access is taken, no key rotated); a member is
    removed as `member_revocation.remove` does, once ``confirm`` returns, their pending invites with
    them (by the server, in the same request). ``invites_only``: withdraw the invites
    whoever they are for, and remove no one (a member's invite to another scope, or an
    expired one that `member list` would show until then)."""
    email = who.strip().lower()
    pending = pending_invites(ctx)
    invited = [i for i in pending if i["email"] == email]
    if invites_only:
        if not invited:
            raise NotFoundError(
                f"no invite for {email} (accepted or withdrawn already?)",
                hint="see who is invited: envkeep member list",
            )
        _withdraw(team_backend(ctx), invited)
        return Removal(None, invited)
    if invited and not _listed_member(ctx, email):
        _withdraw(team_backend(ctx), invited)
        return Removal(None, invited)
    made = [i for i in pending if i.get("invited_by") == email and i not in invited]
    return Removal(member_revocation.remove(ctx, who, now=now, confirm=confirm), invited, made)


def invite(
    ctx: ClientContext, email: str, role: str, *, project: str | None, environment: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """`member invite`: a new code (`members.invite`), and the invites to the same email and
    scope nobody accepted yet, withdrawn once it is made (inviting again is sending a new
    code: the old one would join them all the same, and stay listed pending after they
    joined with the new)."""
    address = email.strip().lower()
    earlier = [
        i
        for i in pending_invites(ctx)
        if i["email"] == address
        and i["state"] == PENDING  # an expired one is listed as what it is, until cleared
        and i.get("project") == project
        and i.get("environment") == environment
    ]
    code = members.invite(ctx, email, role, project=project, environment=environment)
    if earlier:
        _withdraw(team_backend(ctx), earlier)
    return code, earlier


def _listed_member(ctx: ClientContext, email: str) -> bool:
    return any(m["principal"]["name"] == email for m in members.list_members(ctx))


def _withdraw(backend: HttpBackend, invites: list[dict[str, Any]]) -> None:
    """Withdraw each invite; when one is refused after others went, the refusal says which
    went (each is a request of its own)."""
    done: list[str] = []
    for invite in invites:
        try:
            backend.api.request(
                "DELETE", f"/v1/workspaces/{backend.workspace_id}/invites/{invite['id']}"
            )
        except EnvkeepError as refused:
            if not done:
                raise
            raise type(refused)(
                f"withdrew the invite to {', '.join(done)}, not the one to"
                f" {scope_words(invite)}: {refused.message}",
                hint=refused.hint,
            ) from None
        done.append(scope_words(invite))
