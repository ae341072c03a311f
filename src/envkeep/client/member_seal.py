"""`member seal`: seal members the data keys their roles open but they hold no share of yet (a
member who joined with an invite's role, before anyone sealed them its keys).

No second way of sealing: each role `member list` counts keys missing for is granted again as
it is held (`members.grant`), so the same checks run as for any grant (the invite's proof or
the pin of the member's key, ENVKEEP_SIGNERS, the caller's own key of each environment).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.app.policy import Role
from envkeep.client import member_invites, members
from envkeep.client.overlapping_roles import bindings_of, shadowing
from envkeep.client.principal_names import member_name
from envkeep.core.errors import EnvkeepError, NotAuthenticated, UnreachableError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class Sealed:
    """Keys sealed to one member: how many shares the server stored, for which roles
    (``write on shop``)."""

    who: str
    count: int
    roles: tuple[str, ...]


@dataclass(frozen=True)
class NotSealed:
    """What could not be sealed to one member (``what``: the role, or None when they are no
    member), why, and what to do about it."""

    who: str
    what: str | None
    why: str
    hint: str | None
    named: bool  # the caller named them: `member seal` fails for it


@dataclass(frozen=True)
class Sealing:
    """What `member seal` did: sealed, could not seal, and the members named who were owed
    nothing."""

    sealed: tuple[Sealed, ...]
    left: tuple[NotSealed, ...]
    owed_nothing: tuple[str, ...]

    @property
    def failed(self) -> bool:
        """Whether something named could not be sealed."""
        return any(n.named for n in self.left)


def seal_command(who: str) -> str:
    """The `member seal` that seals ``who`` the keys its roles open, quoted for a shell."""
    return shlex.join(["envkeep", "member", "seal", who])


def role_words(row: dict[str, Any]) -> str:
    """``write on shop``, ``read on shop/dev``, ``admin on the workspace``."""
    return f"{row['role']} on {member_invites.scope_words(row)}"


def seal_missing(ctx: ClientContext, names: Sequence[str] = ()) -> Sealing:
    """Seal every key missing to the members ``names`` (emails, or tokens' names); none: to
    every member whose roles lack keys. A role whose keys cannot be sealed is named with the
    grant's refusal; the others are sealed all the same."""
    listed = members.list_members(ctx)
    due = [m for m in listed if _may_lack_keys(ctx, m) and not m.get("expired")]
    wanted = {n.lower(): n for n in names}
    left: list[NotSealed] = []
    owed: list[str] = []
    for key, name in wanted.items():
        if not any(member_name(m["principal"]).lower() == key for m in listed):
            left.append(_no_member(ctx, name))
        elif not any(member_name(m["principal"]).lower() == key for m in due):
            owed.append(name)
    if wanted:
        due = [m for m in due if member_name(m["principal"]).lower() in wanted]
    sealed: list[Sealed] = []
    opened: dict[tuple[str, int], bytes] = {}  # each environment's key read once, for everyone
    for principal_id, rows in _by_principal(due).items():
        done, refused = _seal_one(ctx, listed, principal_id, rows, opened, named=bool(wanted))
        sealed.extend(done)
        left.extend(refused)
    return Sealing(tuple(sealed), tuple(left), tuple(owed))


def _may_lack_keys(ctx: ClientContext, member: dict[str, Any]) -> bool:
    """Whether a role may lack keys: as the server counts them, or, from a server older than
    the count (no ``keys_missing``), another person's role at all, which is then granted again
    (an environment this envkeep creates there is sealed to its creator only: such a server
    does not say whose role opens it). A token's role is left as it is: such a server grants
    nothing to a token's name."""
    if "keys_missing" in member:
        return bool(member["keys_missing"])
    principal = member["principal"]
    return principal.get("kind") == "user" and str(principal["id"]) != ctx.identity.principal_id


def _by_principal(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["principal"]["id"]), []).append(row)
    return grouped


def _seal_one(
    ctx: ClientContext,
    listed: list[dict[str, Any]],
    principal_id: str,
    rows: list[dict[str, Any]],
    opened: dict[tuple[str, int], bytes],
    *,
    named: bool,
) -> tuple[list[Sealed], list[NotSealed]]:
    """Grant one member each role of ``rows`` again, as held; a role a broader one of theirs
    outranks is left to that one (it opens every environment the narrower one does).
    ``opened``: the data keys earlier grants opened (`members.grant`)."""
    who = member_name(rows[0]["principal"])
    if principal_id == ctx.identity.principal_id:
        return [], [_own_keys(ctx, who, rows, named=named)]
    held = bindings_of(listed, principal_id)
    count, roles, left = 0, [], []
    for row in rows:
        scope = (row["project"], row["environment"])
        if shadowing(held, Role.parse(row["role"]), scope):
            continue
        try:
            stored, _ = members.grant(
                ctx,
                who,
                row["role"],
                project=scope[0],
                environment=scope[1],
                again=seal_command(who),  # whoever holds a key this one lacks: this command
                opened=opened,
            )
        except (NotAuthenticated, UnreachableError):
            raise
        except EnvkeepError as error:
            left.append(NotSealed(who, role_words(row), error.message, error.hint, named))
            continue
        count += stored
        roles.append(role_words(row))
    return ([Sealed(who, count, tuple(roles))] if roles else []), left


def _own_keys(
    ctx: ClientContext, who: str, rows: list[dict[str, Any]], *, named: bool
) -> NotSealed:
    """The caller's own missing keys, which another admin who holds them seals: named where
    the server says who holds them (`key_holders.own_keys_hint`)."""
    from envkeep.client.key_holders import own_keys_hint

    command = seal_command(who)
    scopes = [(row["project"], row["environment"]) for row in rows]
    hint = (
        own_keys_hint(ctx, scopes, command) or f"ask another admin who holds them to run: {command}"
    )
    return NotSealed(who, None, "your own keys are sealed to you by another", hint, named)


def _no_member(ctx: ClientContext, name: str) -> NotSealed:
    """One named who holds no role the caller sees: invited and not joined yet, or no one."""
    invited = any(
        str(i["email"]).lower() == name.lower() and i["state"] == member_invites.PENDING
        for i in member_invites.pending_invites(ctx)
    )
    if invited:
        why = f"{name} has not joined yet (their invite is pending)"
        hint = f"once they join with its code, run: {seal_command(name)}"
    else:
        why = f"{name} is no member of this workspace (no role you can see)"
        hint = "invite them: envkeep member invite EMAIL --role ROLE --project PROJECT"
    return NotSealed(name, None, why, hint, named=True)
