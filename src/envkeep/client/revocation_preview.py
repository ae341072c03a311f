"""What taking rights away will do, worked out before anything changes: the tokens a change of
roles ends with it, the environments whose data keys must be rotated after it, and whether this
identity holds those keys.

`member grant` asks before it lowers a role (`lowering`); `member revoke`, `member remove` and
`token revoke` by the token's admin refuse up front a revocation whose rotation this identity
could not do (`check_revocation`): the role change and the rotations are separate requests, and
one stopped halfway leaves the old keys opening new values. A token's creator who is not its
admin revokes it at once, and leaves the rotations it may not do to an admin (`TokenRevoker`).
With ENVKEEP_SIGNERS set, each of them (and `token rotate`) also refuses up front rotations the
list would stop (`listed_rotations`).

The server decides for real, in the request (`app/token_cascade.py`); this is a forecast from
what `member list` and `token list` show the caller. It takes a token's creator to be the giver
of each of its roles, which holds unless an admin's `member grant` gave the token one since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.app.token_grounding import grounded
from envkeep.client.listed_rotations import check_listed_rotations
from envkeep.client.principal_names import grant_name, member_name, shown_member, shown_principal
from envkeep.client.scope_shares import scope_environments
from envkeep.core.errors import ConfirmationRequired, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend
    from envkeep.client.listed_rotations import Leaving

_WS = "workspace"  # the bindings below name projects and environments of one workspace
# The flag that revokes even where this identity cannot rotate every key (an emergency: access
# cut now, the rotations named for an admin who holds the keys).
REVOKE_NOW = "--revoke-now"
Scope = tuple[str | None, str | None]  # (project, environment); None: all of it


def _where(scope: Scope) -> str:
    """``shop/staging``, ``shop``, or ``the workspace``."""
    return "/".join(p for p in scope if p) or "the workspace"


def _listed(backend: HttpBackend, what: str) -> list[dict[str, Any]]:
    """The workspace's ``members`` or ``tokens``, as `member list` and `token list` show them."""
    found: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/{what}"
    )
    return found


def _held_at(members: list[dict[str, Any]], who: str, scope: Scope) -> Role | None:
    """The role ``who`` (an email, ``token NAME``) holds at exactly ``scope``."""
    for m in members:
        if shown_member(m["principal"]) == who and (m["project"], m["environment"]) == scope:
            return Role.parse(m["role"])
    return None


@dataclass(frozen=True)
class _Seen:
    """Who holds which role, as `member list` and `token list` show the caller: each
    principal's bindings by the name a person reads (an email, ``token NAME``), who made each
    live token, and the caller's own rows of `member list`."""

    roles: dict[str, list[Binding]]
    creators: dict[str, str]
    mine: list[dict[str, Any]]

    @classmethod
    def of(cls, ctx: ClientContext, members: list[dict[str, Any]], backend: HttpBackend) -> _Seen:
        """From ``members`` (listed already) and the token list."""
        roles: dict[str, list[Binding]] = {}
        for m in members:
            if m["principal"].get("kind") != "service":  # a token's roles: from its own list
                roles.setdefault(shown_member(m["principal"]), []).append(_binding(m))
        creators = {}
        for t in _listed(backend, "tokens"):
            if t["revoked"]:
                continue
            creators[f"token {t['label']}"] = str(t.get("created_by") or "")
            held = roles.setdefault(f"token {t['label']}", [])
            if t["role"] not in {None, "-"}:  # a token left with no role
                held.append(_binding(t))
        me = ctx.identity.principal_id
        return cls(roles, creators, [m for m in members if m["principal"]["id"] == me])

    def scopes(self, who: str) -> list[Scope]:
        return [_scope(b) for b in self.roles.get(who, [])]

    def ended(self, who: str, scope: Scope | None, role: Role | None) -> list[str]:
        """The tokens (by name) that setting ``who``'s role at ``scope`` to ``role`` ends
        (scope None: every role of theirs; a token ``who`` ends itself, not counted)."""
        kept = [b for b in self.roles.get(who, []) if scope is not None and _scope(b) != scope]
        if scope is not None and role is not None:
            kept.append(Binding(role, _WS, *scope))
        creators = self.creators
        if scope is None and who in creators:
            creators = {t: c for t, c in creators.items() if t != who}
        before = _ungrounded(self.roles, self.creators)
        after = _ungrounded({**self.roles, who: kept}, creators)
        return sorted(t.removeprefix("token ") for t in after - before - {who})


def _binding(row: dict[str, Any]) -> Binding:
    return Binding(Role.parse(row["role"]), _WS, row["project"], row["environment"])


def _scope(binding: Binding) -> Scope:
    return binding.project_id, binding.environment_id


def _ungrounded(roles: dict[str, list[Binding]], creators: dict[str, str]) -> set[str]:
    """The tokens that do not live on their givers' rights (`app/token_grounding.grounded`,
    with each role given by the token's creator)."""
    people = {who: bindings for who, bindings in roles.items() if who not in creators}
    tokens = {
        token: (creator, [(b, creator) for b in roles.get(token, [])])
        for token, creator in creators.items()
    }
    return set(creators) - grounded(people, tokens)


@dataclass(frozen=True)
class Lowering:
    """A grant that would lower the role its grantee holds at that scope, and what it ends."""

    who: str  # as a person reads it
    held: Role
    wanted: Role
    scope: Scope
    tokens: list[str]
    rotated: list[str]  # project/env
    command: str  # the grant, quoted for a shell

    def __str__(self) -> str:
        does = ["lowers it"]
        if self.tokens:
            kind = "token" if len(self.tokens) == 1 else "tokens"
            does.append(f"revokes {kind} {', '.join(self.tokens)}")
        if self.rotated:
            does.append(f"rotates the keys of {', '.join(self.rotated)}")
        said = ", ".join(does[:-1]) + " and " + does[-1] if len(does) > 1 else does[0]
        held = f"{self.who} holds {self.held} on {_where(self.scope)}"
        return f"{held}; granting {self.wanted} {said}"

    def refused(self) -> ConfirmationRequired:
        """The error a lowering not confirmed ends with."""
        return ConfirmationRequired(
            f"{self}; pass --yes to go ahead",
            hint=f"nothing changed; to lower it anyway: {self.command} --yes",
        )


def lowering(
    ctx: ClientContext, backend: HttpBackend, grantee: PrincipalView, wanted: str, scope: Scope
) -> Lowering | None:
    """What granting ``wanted`` at ``scope`` would end, when it lowers the role ``grantee``
    holds there (None for a grant that raises or keeps one, makes a new binding, or names no
    role: the server says so); an error when this identity could not rotate the keys it
    would have to."""
    from envkeep.client.members import grant_command  # members imports this module

    try:
        role = Role.parse(wanted)
    except (KeyError, ValueError):
        return None
    members = _listed(backend, "members")
    who = shown_principal(grantee)
    held = _held_at(members, who, scope)
    if held is None or role >= held:
        return None
    seen = _Seen.of(ctx, members, backend)
    ended = seen.ended(who, scope, role)
    envs = _environments(backend, [s for t in ended for s in seen.scopes(f"token {t}")])
    doing = f"granting {role} to {who}"
    _check_keys(ctx, backend, seen, envs, doing)
    check_listed_rotations(ctx, backend, envs, _leaving(ended), doing)  # who keeps a role
    command = grant_command(grant_name(grantee), str(role), *scope)
    return Lowering(who, held, role, scope, ended, [_named(e) for e in envs], command)


def check_revocation(
    ctx: ClientContext, backend: HttpBackend, who: str, scope: Scope | None, doing: str
) -> None:
    """Refuse, before anything changes, a revocation whose rotations this identity could not
    do: it must hold the current key of every environment ``who`` (an email, ``token NAME``)
    and the tokens it ends could read. ``scope``: the one role taken (None: every one, as
    removing a member or revoking a token does). One this forecast cannot see (not held, or
    not the caller's to take) is left to the server to refuse."""
    members = _listed(backend, "members")
    if scope is not None and _held_at(members, who, scope) is None:
        return
    _check_seen(ctx, backend, _Seen.of(ctx, members, backend), who, scope=scope, doing=doing)


def _check_seen(
    ctx: ClientContext,
    backend: HttpBackend,
    seen: _Seen,
    who: str,
    *,
    scope: Scope | None,
    doing: str,
) -> None:
    """`check_revocation`, with what the caller sees listed already."""
    me = ctx.identity.principal_id
    if any(m["principal"]["id"] == me and shown_member(m["principal"]) == who for m in seen.mine):
        return  # one's own: the server refuses it
    taken = [scope] if scope is not None else seen.scopes(who)
    if not taken:
        return
    ended = seen.ended(who, scope, None)
    envs = _environments(backend, [*taken, *(s for t in ended for s in seen.scopes(f"token {t}"))])
    _check_keys(ctx, backend, seen, envs, doing)
    kept = [b for b in seen.roles.get(who, []) if scope is not None and _scope(b) != scope]
    check_listed_rotations(ctx, backend, envs, _leaving(ended, who, kept), doing)


def _leaving(ended: list[str], who: str | None = None, kept: Iterable[Binding] = ()) -> Leaving:
    """Who stops reading an environment once the rights are taken: the tokens ``ended`` (by
    name), and ``who`` (an email, ``token NAME``) unless a role it keeps (``kept``) covers it."""
    gone, held = {f"token {t}" for t in ended}, tuple(kept)

    def leaving(reader: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
        name = shown_member(reader)
        target = Target(_WS, item["project"], item["environment"])
        return name in gone or (name == who and not any(covers(b, target) for b in held))

    return leaving


@dataclass(frozen=True)
class TokenRevoker:
    """This identity about to revoke token ``name``, as `member list` and `token list` show
    them: where it is an admin. When that covers every role the token holds, it revokes as
    the token's admin, and `check` refuses up front what it could not rotate (as
    `check_revocation`); otherwise as its creator (or not at all: the server decides), and it
    rotates only the keys it is an admin of (`may_rotate`), leaving the others to one who is:
    it can do no better, and the access must be cut anyway."""

    name: str
    seen: _Seen
    admin: tuple[Binding, ...]

    @classmethod
    def of(cls, ctx: ClientContext, backend: HttpBackend, name: str) -> TokenRevoker:
        seen = _Seen.of(ctx, _listed(backend, "members"), backend)
        mine = (_binding(m) for m in seen.mine)
        return cls(name, seen, tuple(b for b in mine if b.role >= Role.ADMIN))

    @property
    def admin_over_all(self) -> bool:
        """Admin wherever the token holds a role (a token with none: of the workspace)."""
        scopes = self.seen.scopes(f"token {self.name}") or [(None, None)]
        return all(self.may_rotate(*scope) for scope in scopes)

    def may_rotate(self, project: str | None, environment: str | None) -> bool:
        """Whether this identity is an admin of that scope (may rotate its keys)."""
        return any(covers(b, Target(_WS, project, environment)) for b in self.admin)

    def check(self, ctx: ClientContext, backend: HttpBackend) -> None:
        """`check_revocation` of the token, from what was listed."""
        who = f"token {self.name}"
        _check_seen(ctx, backend, self.seen, who, scope=None, doing=f"revoking token {self.name}")

    def check_listed(self, ctx: ClientContext, backend: HttpBackend) -> None:
        """Its creator's revocation, which rotates only the keys it is an admin of: those
        rotations refused up front when ENVKEEP_SIGNERS would stop them
        (`check_listed_rotations`)."""
        if ctx.listed_signers is None:
            return
        who = f"token {self.name}"
        ended = self.seen.ended(who, None, None)
        scopes = [
            *self.seen.scopes(who),
            *(s for t in ended for s in self.seen.scopes(f"token {t}")),
        ]
        envs = [
            e
            for e in _environments(backend, scopes)
            if self.may_rotate(e["project"], e["environment"])
        ]
        doing = f"revoking token {self.name}"
        check_listed_rotations(ctx, backend, envs, _leaving(ended, who), doing)


def check_token_rotation(
    ctx: ClientContext, backend: HttpBackend, name: str, scopes: Iterable[Scope], old_id: str
) -> None:
    """`token rotate`'s rotations of the keys the token ``old_id`` read at ``scopes``, refused
    up front when ENVKEEP_SIGNERS would stop them (`check_listed_rotations`); the new token's
    keys, made by the command, are sealed to whatever the list says."""
    if ctx.listed_signers is None:
        return
    envs = _environments(backend, scopes)
    doing = f"rotating token {name}"
    check_listed_rotations(ctx, backend, envs, lambda reader, _item: reader["id"] == old_id, doing)


def _environments(backend: HttpBackend, scopes: Iterable[Scope]) -> list[dict[str, Any]]:
    """The environments ``scopes`` cover, once each, in name order. A scope this identity may
    not list is left out: its rotation says what went wrong, as before."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for project, environment in sorted(set(scopes), key=str):
        try:
            listed = scope_environments(backend, project=project, environment=environment)
        except PermissionDenied:
            continue
        for item in listed:
            found.setdefault((item["project"], item["environment"]), item)
    return [found[key] for key in sorted(found)]


def _named(item: dict[str, Any]) -> str:
    return f"{item['project']}/{item['environment']}"


def _check_keys(
    ctx: ClientContext,
    backend: HttpBackend,
    seen: _Seen,
    envs: list[dict[str, Any]],
    doing: str,
) -> None:
    """A PermissionDenied naming each of ``envs`` whose current key this identity holds no
    share of. A role of its own with no keys missing proves it holds those it covers;
    the others are read (a snapshot carries the reader's shares)."""
    whole = [_binding(m) for m in seen.mine if not m.get("keys_missing")]
    missing = [
        item
        for item in envs
        if not any(covers(b, Target(_WS, item["project"], item["environment"])) for b in whole)
        and not _holds_key(backend, item)
    ]
    if not missing:
        return
    from envkeep.client.members import grant_command  # members imports this module

    me = member_name(seen.mine[0]["principal"]) if seen.mine else "YOUR_EMAIL"
    projects = {item["project"] for item in missing}
    scope: Scope = (
        (missing[0]["project"], missing[0]["environment"])
        if len(missing) == 1
        else (projects.pop() if len(projects) == 1 else None, None)
    )
    names = ", ".join(_named(item) for item in missing)
    raise PermissionDenied(
        f"you hold no key for {names}, which {doing} must rotate; nothing changed",
        hint="ask an admin who holds the keys to do it, or to seal them to you first (then"
        f" run this again): {grant_command(me, 'admin', *scope)}; or, to cut the access at once"
        f" and leave those rotations to such an admin, run it again with {REVOKE_NOW}",
    )


def _holds_key(backend: HttpBackend, item: dict[str, Any]) -> bool:
    snapshot = backend.read_environment(item["project"], item["environment"], [])
    current = snapshot.environment.key_version
    return any(share.key_version == current for share in snapshot.shares)
