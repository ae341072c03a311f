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

The forecast itself, from what `member list` and `token list` show the caller, is
`_seen_roles`'s; what `member remove` and `token revoke` say of it before they ask is
`revocation_plan`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.client._seen_roles import (
    WS,
    Forecast,
    Scope,
    Seen,
    binding_of,
    environment_target,
    environments,
    held_at,
    listed,
    named,
    where,
)
from envkeep.client.listed_rotations import check_listed_rotations
from envkeep.client.principal_names import grant_name, member_name, shown_member, shown_principal
from envkeep.core.errors import ConfirmationRequired, PermissionDenied
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend

    # (a reader, as the API lists it; an environment, as `scope_environments` lists it) →
    # whether that reader stops reading it once the rights are taken.
    Leaving = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]

# The flag that revokes even where this identity cannot rotate every key (an emergency: access
# cut now, the rotations named for an admin who holds the keys).
REVOKE_NOW = "--revoke-now"


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
        held = f"{self.who} holds {self.held} on {where(self.scope)}"
        return f"{held}; granting {self.wanted} {said}"

    def question(self) -> str:
        """What a terminal is asked."""
        return f"{self}. Lower it?"

    def refused(self) -> ConfirmationRequired:
        """The error a lowering not confirmed ends with."""
        return ConfirmationRequired(
            f"{self}; pass --yes to go ahead",
            hint=f"nothing changed; to lower it anyway: {self.command} --yes",
        )


def lowering(
    ctx: ClientContext,
    backend: HttpBackend,
    grantee: PrincipalView,
    wanted: str,
    scope: Scope,
    *,
    members: list[dict[str, Any]] | None = None,
) -> Lowering | None:
    """What granting ``wanted`` at ``scope`` would end, when it lowers the role ``grantee``
    holds there (None for a grant that raises or keeps one, makes a new binding, or names no
    role: the server says so); an error when this identity could not rotate the keys it
    would have to. ``members``: `member list`'s rows, when the caller listed them already."""
    from envkeep.client.members import grant_command  # members imports this module

    try:
        role = Role.parse(wanted)
    except (KeyError, ValueError):
        return None
    members = listed(backend, "members") if members is None else members
    who = shown_principal(grantee)
    held = held_at(members, who, scope)
    if held is None or role >= held:
        return None
    seen = Seen.of(ctx, members, backend)
    ended = seen.ended(who, scope, role)
    envs = environments(backend, [s for t in ended for s in seen.scopes(f"token {t}")])
    doing = f"granting {role} to {who}"
    _check_keys(ctx, backend, seen, envs, doing, leaving=_leaving(ended))
    check_listed_rotations(ctx, backend, envs, doing)
    command = grant_command(grant_name(grantee), str(role), *scope)
    return Lowering(who, held, role, scope, ended, [named(e) for e in envs], command)


def foresee_revocation(
    ctx: ClientContext,
    backend: HttpBackend,
    who: str,
    scope: Scope | None,
    doing: str,
    *,
    check: bool = True,
) -> Forecast:
    """What taking ``who``'s (an email, ``token NAME``) role at ``scope`` (None: every one, as
    removing a member or revoking a token does) would do (`Seen.foresee`). With ``check``,
    refused before anything changes when this identity could not do its rotations: it must
    hold the current key of every environment rotated. One this forecast cannot see (not
    held, or not the caller's to take) is left to the server to refuse."""
    members = listed(backend, "members")
    if scope is not None and held_at(members, who, scope) is None:
        return Forecast(who, (), (), ())
    seen = Seen.of(ctx, members, backend)
    forecast = seen.foresee(backend, who, scope)
    if check:
        _check_forecast(ctx, backend, seen, forecast, scope=scope, doing=doing)
    return forecast


def check_revocation(
    ctx: ClientContext, backend: HttpBackend, who: str, scope: Scope | None, doing: str
) -> None:
    """`foresee_revocation`'s check alone (``doing``: "revoking bob@x.io's role")."""
    foresee_revocation(ctx, backend, who, scope, doing)


def _check_forecast(
    ctx: ClientContext,
    backend: HttpBackend,
    seen: Seen,
    forecast: Forecast,
    *,
    scope: Scope | None,
    doing: str,
) -> None:
    """`foresee_revocation`'s check, with what the caller sees listed already."""
    me, who = ctx.identity.principal_id, forecast.who
    if any(m["principal"]["id"] == me and shown_member(m["principal"]) == who for m in seen.mine):
        return  # one's own: the server refuses it
    envs = list(forecast.environments)
    _check_key_versions(ctx, envs, doing)
    leaving = _leaving(list(forecast.tokens), who, seen.kept(who, scope))
    _check_keys(ctx, backend, seen, envs, doing, leaving=leaving)
    check_listed_rotations(ctx, backend, envs, doing)


def _leaving(ended: list[str], who: str | None = None, kept: Iterable[Binding] = ()) -> Leaving:
    """Who stops reading an environment once the rights are taken: the tokens ``ended`` (by
    name), and ``who`` (an email, ``token NAME``) unless a role it keeps (``kept``) covers it."""
    gone, held = {f"token {t}" for t in ended}, tuple(kept)

    def leaving(reader: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
        name = shown_member(reader)
        target = environment_target(item)
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
    seen: Seen
    admin: tuple[Binding, ...]

    @classmethod
    def of(cls, ctx: ClientContext, backend: HttpBackend, name: str) -> TokenRevoker:
        seen = Seen.of(ctx, listed(backend, "members"), backend)
        mine = (binding_of(m) for m in seen.mine)
        return cls(name, seen, tuple(b for b in mine if b.role >= Role.ADMIN))

    @property
    def admin_over_all(self) -> bool:
        """Admin wherever the token holds a role (a token with none: of the workspace)."""
        scopes = self.seen.scopes(f"token {self.name}") or [(None, None)]
        return all(self.may_rotate(*scope) for scope in scopes)

    def may_rotate(self, project: str | None, environment: str | None) -> bool:
        """Whether this identity is an admin of that scope (may rotate its keys)."""
        return any(covers(b, Target(WS, project, environment)) for b in self.admin)

    @property
    def live(self) -> bool:
        """Whether `token list` shows the caller the token live (else the server answers)."""
        return f"token {self.name}" in self.seen.creators

    def foresee(self, backend: HttpBackend) -> Forecast:
        """What revoking the token would do (`Seen.foresee`)."""
        return self.seen.foresee(backend, f"token {self.name}", None)

    def check(self, ctx: ClientContext, backend: HttpBackend, forecast: Forecast) -> None:
        """`foresee_revocation`'s check of the token, from what was listed."""
        doing = f"revoking token {self.name}"
        _check_forecast(ctx, backend, self.seen, forecast, scope=None, doing=doing)

    def check_listed(self, ctx: ClientContext, backend: HttpBackend, forecast: Forecast) -> None:
        """Its creator's revocation, which rotates only the keys it is an admin of: those
        rotations refused up front when ENVKEEP_SIGNERS would stop them
        (`check_listed_rotations`)."""
        if ctx.listed_signers is None:
            return
        envs = [e for e in forecast.environments if self.may_rotate(e["project"], e["environment"])]
        doing = f"revoking token {self.name}"
        check_listed_rotations(ctx, backend, envs, doing)


def check_token_rotation(
    ctx: ClientContext, backend: HttpBackend, name: str, scopes: Iterable[Scope]
) -> None:
    """`token rotate`'s rotations of the keys the token ``name`` read at ``scopes``, refused
    up front when ENVKEEP_SIGNERS would stop them (`check_listed_rotations`); the new token's
    keys, made by the command, are sealed to whatever the list says."""
    if ctx.listed_signers is None:
        return
    envs = environments(backend, scopes)
    doing = f"rotating token {name}"
    check_listed_rotations(ctx, backend, envs, doing)


def _check_key_versions(ctx: ClientContext, envs: list[dict[str, Any]], doing: str) -> None:
    """Refuse, before anything changes, when the server lists one of ``envs`` at a key version
    older than this machine read or made (a restore of the server's database from a backup):
    each rotation would be refused after the access was cut, leaving whoever it was cut from
    the key that goes on opening new values."""
    pins = ctx.environment_pins
    if pins is None:
        return
    for item in envs:
        env_id = item.get("environment_id")
        if not env_id:  # a server from before it listed ids
            continue
        project, environment = str(item["project"]), str(item["environment"])
        outcome = f"{doing} rotates its key, so nothing changed"
        pins.refuse_rolled_back(
            project, environment, str(env_id), int(item["key_version"]), outcome
        )


def _check_keys(
    ctx: ClientContext,
    backend: HttpBackend,
    seen: Seen,
    envs: list[dict[str, Any]],
    doing: str,
    *,
    leaving: Leaving,
) -> None:
    """A PermissionDenied naming each of ``envs`` whose current key this identity holds no
    share of, and who holds it among those who keep access (not ``leaving``). A role of its
    own with no keys missing proves it holds those it covers; the others are read (a snapshot
    carries the reader's shares)."""
    whole = [binding_of(m) for m in seen.mine if not m.get("keys_missing")]
    missing = [
        item
        for item in envs
        if not any(covers(b, environment_target(item)) for b in whole)
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
    names = ", ".join(named(item) for item in missing)
    raise PermissionDenied(
        f"you hold no key for {names}, which {doing} must rotate; nothing changed",
        hint=_holders_hint(ctx, missing, leaving, grant_command(me, "admin", *scope)),
    )


def _holders_hint(
    ctx: ClientContext, missing: list[dict[str, Any]], leaving: Leaving, seal: str
) -> str:
    """Whom to ask for the rotations of ``missing`` (``seal``: the command that seals this
    identity their keys): the admins who hold each key and keep access (`key_holders`). Where
    none does, nobody can rotate it: the access can still be cut at once, and the environment
    re-created. Where they cannot be known here, "an admin who holds the keys"."""
    from envkeep.client.key_holders import key_holders, names, unopenable
    from envkeep.core.rotation_left import recreate_words

    cut = f"run it again with {REVOKE_NOW}"
    found = [
        key_holders(
            ctx,
            str(item["project"]),
            str(item["environment"]),
            leaving=_left_of(leaving, item),
        )
        for item in missing
    ]
    stuck = [h for h in found if h is not None and not h.admins]
    if len(stuck) == 1:
        return f"{unopenable(stuck[0])}; to cut the access at once all the same, {cut}"
    if stuck:
        return (
            f"no admin who keeps access holds the keys of {spoken_list([h.named for h in stuck])}:"
            " nobody can seal them or rotate them; to cut the access at once all the same,"
            f" {cut}; then an admin re-creates each of those environments and sets its values"
            f" again: {recreate_words('ENV', None)}"
        )
    known = [h for h in found if h is not None]
    ask = "ask an admin who holds the keys"
    if len(known) == len(found):
        common = [a for a in known[0].admins if all(a in h.admins for h in known[1:])]
        each = "; ".join(f"{h.named}: {names(h.admins)}" for h in known)
        it = "it" if len(known) == 1 else "them"
        ask = f"ask one who holds {it} ({names(common) if common else each})"
    return (
        f"{ask} to do it, or to seal them to you first (then run this again): {seal}; or, to"
        f" cut the access at once and leave those rotations to such an admin, {cut}"
    )


def _left_of(leaving: Leaving, item: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """``leaving`` for the readers of one environment (``item``)."""
    return lambda reader: leaving(reader, item)


def _holds_key(backend: HttpBackend, item: dict[str, Any]) -> bool:
    snapshot = backend.read_environment(item["project"], item["environment"], [])
    current = snapshot.environment.key_version
    return any(share.key_version == current for share in snapshot.shares)
