"""Who holds which role, as `member list` and `token list` show the caller, and what taking
roles away would end and rotate, forecast from that (`Seen.foresee`): the ground on which
`revocation_preview` checks a revocation and `revocation_plan` says what it will do.

The server decides for real, in the request (`app/token_cascade.py`, `app/members.py`); this is
a forecast. It takes a token's creator to be the giver of each of its roles, which holds unless
an admin's `member grant` gave the token one since. Where it may be wrong it errs towards
rotating more, never less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.app.token_grounding import grounded
from envkeep.client.principal_names import shown_member
from envkeep.client.scope_shares import scope_environments
from envkeep.core.errors import PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend

WS = "workspace"  # the bindings here name projects and environments of one workspace
Scope = tuple[str | None, str | None]  # (project, environment); None: all of it


def where(scope: Scope) -> str:
    """``shop/staging``, ``shop``, or ``the workspace``."""
    return "/".join(p for p in scope if p) or "the workspace"


def listed(backend: HttpBackend, what: str) -> list[dict[str, Any]]:
    """The workspace's ``members`` or ``tokens``, as `member list` and `token list` show them."""
    found: list[dict[str, Any]] = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/{what}"
    )
    return found


def held_at(members: list[dict[str, Any]], who: str, scope: Scope) -> Role | None:
    """The role ``who`` (an email, ``token NAME``) holds at exactly ``scope``."""
    for m in members:
        if shown_member(m["principal"]) == who and (m["project"], m["environment"]) == scope:
            return Role.parse(m["role"])
    return None


def binding_of(row: dict[str, Any]) -> Binding:
    """A row of `member list` or `token list` as the policy reads it (by names)."""
    return Binding(Role.parse(row["role"]), WS, row["project"], row["environment"])


def scope_of(binding: Binding) -> Scope:
    return binding.project_id, binding.environment_id


def held_words(binding: Binding) -> str:
    """``write on shop``, ``admin on the workspace``."""
    return f"{binding.role} on {where(scope_of(binding))}"


def environment_target(item: Mapping[str, Any]) -> Target:
    """An environment as `scope_environments` lists it, as a policy target (by names)."""
    return Target(WS, item["project"], item["environment"])


@dataclass(frozen=True)
class Forecast:
    """What taking ``who``'s roles away would do: the roles taken, the tokens that end with
    them (by name) and the environments whose keys are rotated after it (as
    `scope_environments` lists them, in name order)."""

    who: str
    taken: tuple[Binding, ...]
    tokens: tuple[str, ...]
    environments: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Seen:
    """Who holds which role, as `member list` and `token list` show the caller: each
    principal's bindings by the name a person reads (an email, ``token NAME``), who made each
    live token, and the caller's own rows of `member list`."""

    roles: dict[str, list[Binding]]
    creators: dict[str, str]
    mine: list[dict[str, Any]]

    @classmethod
    def of(cls, ctx: ClientContext, members: list[dict[str, Any]], backend: HttpBackend) -> Seen:
        """From ``members`` (listed already) and the token list."""
        roles: dict[str, list[Binding]] = {}
        for m in members:
            if m["principal"].get("kind") != "service":  # a token's roles: from its own list
                roles.setdefault(shown_member(m["principal"]), []).append(binding_of(m))
        creators = {}
        for t in listed(backend, "tokens"):
            if t["revoked"]:
                continue
            creators[f"token {t['label']}"] = str(t.get("created_by") or "")
            held = roles.setdefault(f"token {t['label']}", [])
            if t["role"] not in {None, "-"}:  # a token left with no role
                held.append(binding_of(t))
        me = ctx.identity.principal_id
        return cls(roles, creators, [m for m in members if m["principal"]["id"] == me])

    def scopes(self, who: str) -> list[Scope]:
        return [scope_of(b) for b in self.roles.get(who, [])]

    def ended(self, who: str, scope: Scope | None, role: Role | None) -> list[str]:
        """The tokens (by name) that setting ``who``'s role at ``scope`` to ``role`` ends
        (scope None: every role of theirs; a token ``who`` ends itself, not counted)."""
        kept = self.kept(who, scope)
        if scope is not None and role is not None:
            kept.append(Binding(role, WS, *scope))
        creators = self.creators
        if scope is None and who in creators:
            creators = {t: c for t, c in creators.items() if t != who}
        before = _ungrounded(self.roles, self.creators)
        after = _ungrounded({**self.roles, who: kept}, creators)
        return sorted(t.removeprefix("token ") for t in after - before - {who})

    def kept(self, who: str, scope: Scope | None) -> list[Binding]:
        """The roles ``who`` keeps once its role at ``scope`` is taken (None: every one)."""
        return [b for b in self.roles.get(who, []) if scope is not None and scope_of(b) != scope]

    def foresee(self, backend: HttpBackend, who: str, scope: Scope | None) -> Forecast:
        """What taking ``who``'s role at ``scope`` (None: every role) would do. An environment
        is rotated when a token that ends could read it, or when ``who`` reaches it no more:
        not one a role that a person keeps still covers (the server leaves that one too,
        `app/members.py`). A token's kept roles count for nothing here: it may be expired,
        and the server then rotates, so the forecast does too."""
        taken = [b for b in self.roles.get(who, []) if scope is None or scope_of(b) == scope]
        ended = self.ended(who, scope, None)
        gone = [b for t in ended for b in self.roles.get(f"token {t}", [])]
        keeps = [] if who in self.creators else self.kept(who, scope)
        scopes = [scope] if scope is not None else [scope_of(b) for b in taken]
        envs = [
            item
            for item in environments(backend, [*scopes, *(scope_of(b) for b in gone)])
            if _rotated(environment_target(item), keeps, gone)
        ]
        return Forecast(who, tuple(taken), tuple(ended), tuple(envs))


def _rotated(target: Target, keeps: list[Binding], gone: list[Binding]) -> bool:
    """Whether a revocation rotates ``target``'s key: an ended token read it, or no role
    kept covers it."""
    reached = any(covers(b, target) for b in keeps)
    return any(covers(b, target) for b in gone) or not reached


def _ungrounded(roles: dict[str, list[Binding]], creators: dict[str, str]) -> set[str]:
    """The tokens that do not live on their givers' rights (`app/token_grounding.grounded`,
    with each role given by the token's creator)."""
    people = {who: bindings for who, bindings in roles.items() if who not in creators}
    tokens = {
        token: (creator, [(b, creator) for b in roles.get(token, [])])
        for token, creator in creators.items()
    }
    return set(creators) - grounded(people, tokens)


def environments(backend: HttpBackend, scopes: Iterable[Scope]) -> list[dict[str, Any]]:
    """The environments ``scopes`` cover, once each, in name order. A scope this identity may
    not list is left out: its rotation says what went wrong, as before."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for project, environment in sorted(set(scopes), key=str):
        try:
            items = scope_environments(backend, project=project, environment=environment)
        except PermissionDenied:
            continue
        for item in items:
            found.setdefault((item["project"], item["environment"]), item)
    return [found[key] for key in sorted(found)]


def named(item: dict[str, Any]) -> str:
    """``shop/dev``."""
    return f"{item['project']}/{item['environment']}"
