"""No privilege escalation, as a property (DESIGN §5): whatever sequence of up to five grants,
invites (accepted or left pending), service-account tokens, revocations, removals, token
revocations and reads of the audit trail principals attempt, each acting with a random role at
a random scope and aiming at random scopes and roles (above its own and outside its scope
included), nobody ends up holding or handing out more than it was given, and no token outlives
the rights it rests on.

The model: every principal has a ceiling at each scope, the most any chain of grants from a
workspace's root admin could have given it there. A grant, invite or token from A to B at scope
S with role r raises B's ceiling under S to at most min(r, A's ceiling). After every step each
principal's effective role (``app.policy.effective_role`` over its stored bindings) stays at or
under its ceiling; an action the actor may not take is refused and changes nothing; an action it
may take changes exactly the binding it names (a token revocation: ends that token, whole), and
ends exactly the tokens that, after it, no longer rest on people's roles (``resting``: the rule
of ``app.token_cascade``, modelled here). A read of the trail at a project (or the workspace)
is allowed exactly to an admin there, changes nothing, and answers that project's events only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from envkeep.app import (
    accounts,
    audit,
    invites,
    members,
    projects,
    role_scopes,
    share_store,
    tokens,
    workspaces,
)
from envkeep.app.context import Actor, Call, new_uuid, utc_now
from envkeep.app.policy import Binding, Role, Target, effective_role
from envkeep.app.views import NewEnvironment
from envkeep.core.errors import NotAuthenticated, NotFoundError, PermissionDenied, UsageError
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite, Principal, RoleBinding, Workspace
from tests.authz_support import DATABASES, migrated_database

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine


KEY = b"k" * 32  # a public key or a sealed share, as far as the server can tell
# Two workspaces: their projects and environments.
LAYOUT: dict[int, dict[str, tuple[str, ...]]] = {
    0: {"p1": ("e1", "e2"), "p2": ("e3",)},
    1: {"q1": ("f1",)},
}


class Place(NamedTuple):
    """A scope by name: the whole workspace, a project, or an environment of it."""

    workspace: int
    project: str | None = None
    environment: str | None = None

    def holds(self, inner: Place) -> bool:
        """Whether ``inner`` is this scope or under it."""
        if inner.workspace != self.workspace:
            return False
        if self.project is None:
            return True
        return self.project == inner.project and self.environment in {None, inner.environment}


PLACES = [
    *(Place(ws) for ws in LAYOUT),
    *(Place(ws, project) for ws, names in LAYOUT.items() for project in names),
    *(
        Place(ws, p, env)
        for ws, names in LAYOUT.items()
        for p, envs in names.items()
        for env in envs
    ),
]
MALFORMED = Place(0, None, "e1")  # an environment without its project: refused as usage


class Action(NamedTuple):
    # grant | invite | token | revoke (the grantee's role at place) | remove | untoken (revoke
    # the grantee, a token, in the place's workspace) | audit (read the trail of the place's
    # project, or of its workspace)
    kind: str
    actor: int  # index into the principals known so far
    grantee: int  # index too (grants only)
    role: Role
    place: Place
    accept: bool  # invites only: accepted at once, or left pending

    def __str__(self) -> str:
        return f"{self.kind} {self.role} at {self.place} by #{self.actor} (to #{self.grantee})"


Row = tuple[str, ...]
T = TypeVar("T")


class Given(NamedTuple):
    """A stored role and who gave it."""

    principal: str
    workspace: str
    project: str | None
    environment: str | None
    role: str
    giver: str | None

    def binding(self) -> Binding:
        return Binding(Role.parse(self.role), self.workspace, self.project, self.environment)


class Account(NamedTuple):
    """A principal as the rule for tokens reads it."""

    kind: str
    creator: str | None
    disabled: bool
    workspace: str | None  # a token's (its name says)


@dataclass
class Tenancy:
    """Two workspaces (one root admin each), their projects, and every principal so far."""

    engine: Engine
    workspaces: list[str] = field(default_factory=list)
    ids: dict[Place, Target] = field(default_factory=dict)
    principals: list[str] = field(default_factory=list)
    ceiling: dict[tuple[str, Place], Role] = field(default_factory=dict)

    def run(self, principal_id: str, use_case: Callable[[Call], T]) -> T:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return use_case(Call(session, Actor(principal_id)))

    def held(self, principal_id: str, place: Place) -> Role | None:
        """The principal's effective role at a scope, from its stored bindings."""
        return self.held_everywhere()[principal_id, place]

    def held_everywhere(self) -> dict[tuple[str, Place], Role | None]:
        """Every principal's effective role at every scope, from the bindings stored in the
        two workspaces (read at once: a read per principal and scope was most of the test's
        time)."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(RoleBinding).where(RoleBinding.workspace_id.in_(self.workspaces))
            )
            found: dict[str, list[Binding]] = {}
            for b in rows:
                binding = Binding(
                    Role.parse(b.role), b.workspace_id, b.project_id, b.environment_id
                )
                found.setdefault(b.principal_id, []).append(binding)
        return {
            (principal_id, place): effective_role(found.get(principal_id, []), self.ids[place])
            for principal_id in self.principals
            for place in PLACES
        }

    def member(self, principal_id: str, workspace: int) -> bool:
        """Whether the principal holds a role anywhere in the workspace, or accepted one of
        its invites."""
        workspace_id = self.workspaces[workspace]
        with Session(self.engine) as session:
            bound = session.scalar(
                select(RoleBinding.id).where(
                    RoleBinding.principal_id == principal_id,
                    RoleBinding.workspace_id == workspace_id,
                )
            )
            joined = session.scalar(
                select(Invite.id).where(
                    Invite.accepted_by == principal_id, Invite.workspace_id == workspace_id
                )
            )
        return bound is not None or joined is not None

    def raise_ceiling(self, principal_id: str, role: Role, place: Place, giver: str) -> None:
        """``giver`` gave ``role`` at ``place``: under it, at most what the giver could hold."""
        for inner in filter(place.holds, PLACES):
            if (giver, inner) not in self.ceiling:
                continue  # it had nothing there to give (the invariant check will say so)
            given = min(role, self.ceiling[giver, inner])
            mine = self.ceiling.get((principal_id, inner), given)
            self.ceiling[principal_id, inner] = max(mine, given)

    def stored(self) -> dict[str, list[Row]]:
        """The bindings, invites, accounts, sessions and shares of these two workspaces."""
        params = {"a": self.workspaces[0], "b": self.workspaces[1]}
        queries = {
            "bindings": "SELECT principal_id, workspace_id, project_id, environment_id, role"
            " FROM role_bindings WHERE workspace_id IN (:a, :b)",
            "invites": "SELECT id, workspace_id, role, project_id, environment_id, created_by,"
            " accepted_by FROM invites WHERE workspace_id IN (:a, :b)",
            "principals": "SELECT count(*) FROM principals",
            "sessions": "SELECT count(*) FROM sessions",
            "shares": "SELECT count(*) FROM data_key_shares",
        }
        with self.engine.connect() as connection:
            return {
                name: sorted(tuple(map(str, r)) for r in connection.execute(text(sql), params))
                for name, sql in queries.items()
            }

    def given(self) -> set[Given]:
        """Every role of these two workspaces, with its giver."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(RoleBinding).where(RoleBinding.workspace_id.in_(self.workspaces))
            )
            return {
                Given(
                    b.principal_id,
                    b.workspace_id,
                    b.project_id,
                    b.environment_id,
                    b.role,
                    b.created_by,
                )
                for b in rows
            }

    def accounts(self) -> dict[str, Account]:
        """Every principal so far: its kind, its creator, whether it was disabled."""
        with Session(self.engine) as session:
            rows = session.scalars(select(Principal).where(Principal.id.in_(self.principals)))
            return {
                p.id: Account(
                    p.kind,
                    p.created_by,
                    p.disabled_at is not None,
                    p.name.split(":")[1] if p.kind == "service" else None,
                )
                for p in rows
            }

    def bound_at(self, principal_id: str, place: Place) -> bool:
        """Whether the principal holds a role at exactly ``place``."""
        target = self.ids[place]
        wanted = (target.workspace_id, target.project_id, target.environment_id)
        return any(g.principal == principal_id and g[1:4] == wanted for g in self.given())

    def binding_row(self, principal_id: str, place: Place, role: Role) -> Row:
        target = self.ids[place]
        return (
            principal_id,
            target.workspace_id,
            str(target.project_id),
            str(target.environment_id),
            str(role),
        )

    def shares(self, recipient: str) -> list[share_store.NewShare]:
        """A stand-in share for ``recipient`` of every environment there is (extra ones are
        ignored; a missing one would refuse the grant)."""
        return [
            share_store.NewShare(t.environment_id, 1, recipient, KEY)
            for t in self.ids.values()
            if t.environment_id is not None
        ]


def _person(session: Session) -> str:
    principal_id = new_uuid()
    session.add(
        Principal(
            id=principal_id,
            kind="user",
            name=f"{principal_id}@example.com",
            encryption_public=KEY,
            signing_public=KEY,
            created_at=utc_now(),
        )
    )
    session.flush()
    return principal_id


def _home(session: Session, principal_id: str) -> None:
    """A workspace of the person's own outside the tenancy's places: a user holding no role
    anywhere may not create one (`left_accounts`)."""
    home = Workspace(id=new_uuid(), name="home", created_at=utc_now())
    session.add(home)
    session.flush()
    session.add(
        RoleBinding(
            id=new_uuid(),
            principal_id=principal_id,
            workspace_id=home.id,
            role=str(Role.ADMIN),
            created_at=utc_now(),
            created_by=principal_id,
        )
    )


def _found_workspace(t: Tenancy, ws: int) -> None:
    with Session(t.engine) as session, session.begin():
        root = _person(session)
        _home(session, root)  # every account joins by an invite that carries a role
    workspace_id, _ = t.run(root, lambda call: workspaces.create_workspace(call, name=new_uuid()))
    t.workspaces.append(workspace_id)
    t.principals.append(root)
    t.ids[Place(ws)] = Target(workspace_id)
    for name, envs in LAYOUT[ws].items():
        new = [NewEnvironment(new_uuid(), env, KEY) for env in envs]
        project_id = t.run(root, _project(workspace_id, name, new))
        t.ids[Place(ws, name)] = Target(workspace_id, project_id)
        for env in new:
            t.ids[Place(ws, name, env.name)] = Target(workspace_id, project_id, env.id)
    t.ceiling.update({(root, place): Role.ADMIN for place in PLACES if place.workspace == ws})


def _project(workspace_id: str, name: str, envs: list[NewEnvironment]) -> Callable[[Call], str]:
    def use_case(call: Call) -> str:
        made = projects.create_project(
            call, workspace_id=workspace_id, name=name, environments=envs
        )
        return made.project.id

    return use_case


def tenancy(engine: Engine, starts: list[tuple[Role, Place]]) -> Tenancy:
    """Fresh workspaces, and one principal per start, given its role by the root."""
    t = Tenancy(engine)
    for ws in LAYOUT:
        _found_workspace(t, ws)
    for role, place in starts:  # each joins by the root's invite (a role goes to members only)
        root = t.principals[place.workspace]
        email = f"{new_uuid()}@example.com"
        principal_id = _accept(t, t.run(root, _invite(t, email, role, place)), email)
        t.principals.append(principal_id)
        t.raise_ceiling(principal_id, role, place, root)
    return t


def _grant(t: Tenancy, grantee: str, role: Role, place: Place) -> Callable[[Call], None]:
    def use_case(call: Call) -> None:
        members.grant_role(
            call,
            workspace_id=t.workspaces[place.workspace],
            principal_id=grantee,
            role=str(role),
            scope=role_scopes.Scope(place.project, place.environment),
            shares=t.shares(grantee),
        )

    return use_case


def _invite(t: Tenancy, email: str, role: Role, place: Place) -> Callable[[Call], str]:
    def use_case(call: Call) -> str:
        _id, code = invites.create_invite(
            call,
            workspace_id=t.workspaces[place.workspace],
            email=email,
            role=str(role),
            project=place.project,
            environment=place.environment,
        )
        assert code is not None  # the server made the secret: no accept_hash was given
        return code

    return use_case


def _accept(t: Tenancy, code: str, email: str) -> str:
    with Session(t.engine, expire_on_commit=False) as session, session.begin():
        joined = accounts.accept_invite(
            session,
            code=code,
            account=accounts.NewAccount(email, KEY, KEY, KEY, KEY, {"memory_kib": 8}, KEY),
            clock=utc_now,
            new_id=new_uuid,
        )
    return joined.principal_id


def _token(t: Tenancy, principal_id: str, role: Role, place: Place) -> Callable[[Call], None]:
    def use_case(call: Call) -> None:
        keys = tokens.AccountKeys(
            principal_id=principal_id,
            encryption_public=KEY,
            signing_public=KEY,
            wrapped_private_keys=KEY,
            token_hash=uuid.uuid4().hex * 2,
            expires_at=None,
            shares=tuple(t.shares(principal_id)),
        )
        scope = role_scopes.Scope(place.project, place.environment)
        new = tokens.NewServiceAccount(f"ci-{principal_id[:8]}", str(role), scope, keys)
        tokens.create_service_account(call, workspace_id=t.workspaces[place.workspace], new=new)

    return use_case


def _take(t: Tenancy, principal_id: str, action: Action) -> Callable[[Call], object]:
    """Revoke the principal's role at the action's place, or remove it from the workspace."""
    workspace_id = t.workspaces[action.place.workspace]

    def use_case(call: Call) -> object:
        if action.kind == "remove":
            return members.remove_member(call, workspace_id=workspace_id, principal_id=principal_id)
        scope = role_scopes.Scope(action.place.project, action.place.environment)
        return members.revoke_role(
            call, workspace_id=workspace_id, principal_id=principal_id, scope=scope
        )

    return use_case


def _revoke_token(t: Tenancy, token: str, action: Action) -> Callable[[Call], object]:
    """`token revoke` of the token ``token`` names (`_token`'s label; a person's id names
    none), in the place's workspace."""
    workspace_id = t.workspaces[action.place.workspace]

    def use_case(call: Call) -> object:
        return tokens.revoke_service_account(
            call, workspace_id=workspace_id, label=f"ci-{token[:8]}"
        )

    return use_case


def may(t: Tenancy, actor: str, action: Action) -> bool:
    """What DESIGN §5 allows: grants and invites by an admin of the scope (never above its
    own role; a grant only to a member of the workspace, not oneself), tokens with at most the
    role the creator holds there; revoking a role at a scope by its admin, removing a member by a
    workspace admin (not oneself, and only what is there); revoking a live token by its
    creator, or by an admin wherever it holds a role."""
    grantee = t.principals[action.grantee % len(t.principals)]
    if action.kind in {"untoken", "audit"}:  # no role given: a token ended, a trail read
        return (
            may_revoke_token(t, actor, grantee, action.place.workspace)
            if action.kind == "untoken"
            else t.held(actor, _audited(action.place)) == Role.ADMIN  # not an environment's
        )
    if action.kind == "remove":  # of the whole workspace, whatever the place
        workspace = Place(action.place.workspace)
        workspace_id = t.ids[workspace].workspace_id
        bound = any(g.principal == grantee and g.workspace == workspace_id for g in t.given())
        return t.held(actor, workspace) == Role.ADMIN and grantee != actor and bound
    if action.place not in t.ids:
        return False
    held = t.held(actor, action.place)
    if action.kind == "revoke":
        return held == Role.ADMIN and grantee != actor and t.bound_at(grantee, action.place)
    if action.kind == "token":
        return held is not None and action.role <= held
    # A grant goes to the workspace's own only (another tenant's is not found), never to
    # oneself (as a revocation: a sole admin would lock the workspace).
    return held == Role.ADMIN and (
        action.kind != "grant" or (grantee != actor and t.member(grantee, action.place.workspace))
    )


def _audited(place: Place) -> Place:
    """Whose trail an audit read at ``place`` asks for: its project's, or its workspace's."""
    return Place(place.workspace, place.project)


def _read_audit(t: Tenancy, place: Place) -> Callable[[Call], None]:
    """Read the trail of ``place``'s project (the workspace's without one), every page, and
    check that each event is that project's (any, for the whole trail)."""
    target = t.ids[place]

    def use_case(call: Call) -> None:
        after = 0
        while True:
            page = audit.list_events(
                call, workspace_id=target.workspace_id, after=after, project=place.project
            )
            assert page.project == place.project
            if place.project is not None:
                assert {e.project_id for e in page.events} <= {target.project_id}
            if len(page.events) < 500:
                return
            after = page.events[-1].seq

    return use_case


def _giving_nobody_a_role(t: Tenancy, action: Action) -> Callable[[Call], object]:
    """The use case of an action that gives nobody a role: a revocation or a removal of the
    grantee, a revocation of the grantee (a token), a read of the trail."""
    grantee = t.principals[action.grantee % len(t.principals)]
    if action.kind == "untoken":
        return _revoke_token(t, grantee, action)
    if action.kind == "audit":
        return _read_audit(t, _audited(action.place))
    return _take(t, grantee, action)


def may_revoke_token(t: Tenancy, actor: str, token: str, workspace: int) -> bool:
    """The rule for `token revoke`: the token is a live one of the workspace, the actor a member
    of it, and either the token's creator or an admin over each role it holds (the workspace's
    admin for a token with none). Ending only takes rights away: it cannot escalate."""
    account = t.accounts().get(token)
    workspace_id = t.workspaces[workspace]
    if account is None or account.kind != "service" or account.disabled:
        return False
    given = [g for g in t.given() if g.workspace == workspace_id]
    mine = [g.binding() for g in given if g.principal == actor]
    if account.workspace != workspace_id or not mine:
        return False
    if account.creator == actor:
        return True
    roles = [Target(g.workspace, g.project, g.environment) for g in given if g.principal == token]
    return all(
        effective_role(mine, target) == Role.ADMIN for target in roles or [Target(workspace_id)]
    )


def step(t: Tenancy, action: Action) -> None:
    """Attempt one action; check it was refused exactly when it had to be, and what changed."""
    actor = t.principals[action.actor % len(t.principals)]
    allowed, before = may(t, actor, action), t.stored()
    given_before, accounts_before = t.given(), t.accounts()
    refused: Exception | None = None
    recipient = None
    try:
        recipient = _perform(t, actor, action)
    except (NotAuthenticated, PermissionDenied, UsageError, NotFoundError) as error:
        # NotAuthenticated: a token that ended acts (a server refuses its bearer token first)
        refused = error
    if refused is not None:
        assert not allowed, f"{action}: refused ({refused}) though the actor may"
        assert t.stored() == before, f"{action}: refused, yet something changed"
        return
    assert allowed, f"{action}: done, though the actor may not"
    after = t.stored()
    if recipient is not None:
        t.raise_ceiling(recipient, action.role, action.place, actor)
    accounts = t.accounts()
    named = _named_change(t, given_before, actor, action, recipient)
    known = accounts | accounts_before  # disabled: as before, but for the token revoked
    revoked = set()
    if action.kind == "untoken":
        revoked = {t.principals[action.grantee % len(t.principals)]}
        known |= {p: known[p]._replace(disabled=True) for p in revoked}
    ended = resting_on_nothing(named, known)
    expected = {g for g in named if g.principal not in ended}
    assert t.given() == expected, f"{action}: other bindings changed (ended: {ended})"
    now_disabled = {p for p, a in accounts.items() if a.disabled}
    was_disabled = {p for p, a in accounts_before.items() if a.disabled}
    assert now_disabled == was_disabled | revoked | ended, f"{action}: the wrong tokens ended"
    if action.kind == "invite":
        assert len(after["invites"]) == len(before["invites"]) + 1


def _named_change(
    t: Tenancy, before: set[Given], actor: str, action: Action, recipient: str | None
) -> set[Given]:
    """The roles after exactly the change the action names: a grant replaces the grantee's
    role at that scope (given by the actor now), a token or invite adds one, a revocation
    drops the one at that scope, a removal every one in the workspace, a token revocation
    every one of the token's."""
    if action.kind == "audit":
        return before
    if action.kind == "untoken":
        token = t.principals[action.grantee % len(t.principals)]
        return {g for g in before if g.principal != token}
    if action.kind == "remove":
        grantee = t.principals[action.grantee % len(t.principals)]
        workspace = t.workspaces[action.place.workspace]
        return {g for g in before if not (g.principal == grantee and g.workspace == workspace)}
    target = t.ids[action.place]
    scope = (target.workspace_id, target.project_id, target.environment_id)
    if action.kind == "revoke":
        grantee = t.principals[action.grantee % len(t.principals)]
        return {g for g in before if not (g.principal == grantee and g[1:4] == scope)}
    if recipient is None:
        return before
    kept = {g for g in before if not (g.principal == recipient and g[1:4] == scope)}
    # A grant that raises a role (or adds one) is the actor's; one that keeps or lowers it
    # stays the earlier giver's.
    earlier = [g for g in before - kept if action.role <= Role.parse(g.role)]
    giver = earlier[0].giver if earlier else actor
    return kept | {Given(recipient, *scope, str(action.role), giver)}


def resting_on_nothing(given: set[Given], accounts: dict[str, Account]) -> set[str]:
    """The live tokens that the rule of ``app.token_cascade`` ends: in each workspace, what
    people hold rests on nothing else; a token rests on it when its creator holds a role that
    rests there and every role it holds is held, at least as high over its scope, by a
    giver whose roles rest there; everything else rests on nothing."""
    ended: set[str] = set()
    for workspace in {a.workspace for a in accounts.values() if a.workspace}:
        mine = [g for g in given if g.workspace == workspace]
        held: dict[str, list[Binding]] = {}
        for g in mine:
            if accounts[g.principal].kind == "user":
                held.setdefault(g.principal, []).append(g.binding())
        tokens = {
            p
            for p, a in accounts.items()
            if a.kind == "service" and not a.disabled and a.workspace == workspace
        }
        resting: set[str] = set()
        while True:
            more = {
                p
                for p in tokens - resting
                if held.get(accounts[p].creator or "")
                and all(_covered(g, held) for g in mine if g.principal == p)
            }
            if not more:
                break
            resting |= more
            for p in more:
                held[p] = [g.binding() for g in mine if g.principal == p]
                if not held[p]:
                    del held[p]
        ended |= tokens - resting
    return ended


def _covered(given: Given, held: dict[str, list[Binding]]) -> bool:
    target = Target(given.workspace, given.project, given.environment)
    role = effective_role(held.get(given.giver or "", []), target)
    return role is not None and role >= Role.parse(given.role)


def _perform(t: Tenancy, actor: str, action: Action) -> str | None:
    """Do the action as ``actor``; the principal that gained a role, if any."""
    if action.kind == "grant":
        grantee = t.principals[action.grantee % len(t.principals)]
        t.run(actor, _grant(t, grantee, action.role, action.place))
        return grantee
    if action.kind == "token":
        account = new_uuid()
        t.run(actor, _token(t, account, action.role, action.place))
        t.principals.append(account)
        return account
    if action.kind in {"revoke", "remove", "untoken", "audit"}:
        t.run(actor, _giving_nobody_a_role(t, action))
        return None
    email = f"{new_uuid()}@example.com"
    code = t.run(actor, _invite(t, email, action.role, action.place))
    if not action.accept:
        return None  # a pending invite gives nobody anything
    joined = _accept(t, code, email)
    t.principals.append(joined)
    return joined


def assert_nobody_above_their_ceiling(t: Tenancy) -> None:
    everywhere = t.held_everywhere()
    for principal_id in t.principals:
        for place in PLACES:
            held = everywhere[principal_id, place]
            ceiling = t.ceiling.get((principal_id, place))
            assert held is None or (ceiling is not None and held <= ceiling), (
                f"#{t.principals.index(principal_id)} holds {held} at {place}, given {ceiling}"
            )


@pytest.fixture(scope="module", params=DATABASES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per module run; every example makes workspaces of its own in it."""
    with migrated_database(request.param, request, tmp_path_factory.mktemp("escalation")) as url:
        eng = open_engine(url)
        yield eng
        eng.dispose()


roles = st.sampled_from(list(Role))
places = st.sampled_from(PLACES)
starts = st.lists(st.tuples(roles, places), min_size=3, max_size=3)
actions = st.lists(
    st.builds(
        Action,
        kind=st.sampled_from(["grant", "invite", "token", "revoke", "remove", "untoken", "audit"]),
        actor=st.integers(0, 12),
        grantee=st.integers(0, 12),
        role=roles,
        place=st.sampled_from([*PLACES, MALFORMED]),
        accept=st.booleans(),
    ),
    max_size=5,
)
P1, E1 = Place(0, "p1"), Place(0, "p1", "e1")


@settings(max_examples=50, deadline=None)
@given(starts=starts, attempts=actions)
# A project writer grants and invites (read) there; an environment admin reaches for its
# sibling, its project and the other workspace; a reader mints a write token.
@example(
    starts=[(Role.WRITE, P1), (Role.ADMIN, E1), (Role.READ, Place(0))],
    attempts=[
        Action("grant", 2, 3, Role.READ, P1, accept=False),
        Action("invite", 2, 0, Role.READ, E1, accept=True),
        Action("grant", 3, 3, Role.ADMIN, Place(0, "p1", "e2"), accept=False),
        Action("invite", 3, 0, Role.ADMIN, P1, accept=True),
        Action("token", 4, 0, Role.WRITE, Place(0), accept=False),
    ],
)
# A chain: the root invites an environment admin, who grants and tokens on, then in the other
# workspace nothing works for either of them.
@example(
    starts=[(Role.READ, Place(1)), (Role.READ, Place(1)), (Role.READ, Place(1))],
    attempts=[
        Action("invite", 0, 0, Role.ADMIN, E1, accept=True),
        Action("grant", 5, 2, Role.ADMIN, E1, accept=False),
        Action("token", 5, 0, Role.ADMIN, E1, accept=False),
        Action("grant", 2, 2, Role.ADMIN, Place(1), accept=False),
        Action("token", 6, 0, Role.READ, Place(1, "q1"), accept=False),
    ],
)
# Tokens on tokens: lowering their maker's role ends the token above it and the one it made;
# removing a member ends the token they made; revoking a token's role ends the one it made.
@example(
    starts=[(Role.ADMIN, P1), (Role.WRITE, P1), (Role.READ, Place(0))],
    attempts=[
        Action("token", 2, 0, Role.WRITE, P1, accept=False),
        Action("token", 5, 0, Role.READ, E1, accept=False),
        Action("grant", 0, 2, Role.READ, P1, accept=False),
        Action("token", 3, 0, Role.READ, E1, accept=False),
        Action("remove", 0, 3, Role.READ, Place(0), accept=False),
    ],
)
@example(
    starts=[(Role.ADMIN, Place(0)), (Role.READ, P1), (Role.READ, Place(0))],
    attempts=[
        Action("token", 2, 0, Role.ADMIN, P1, accept=False),
        Action("token", 5, 0, Role.READ, E1, accept=False),
        Action("grant", 5, 6, Role.ADMIN, P1, accept=False),
        Action("grant", 6, 5, Role.ADMIN, P1, accept=False),  # keeps #5's giver: #2
        Action("revoke", 0, 5, Role.ADMIN, P1, accept=False),  # ends #6, whose giver it was
        Action("token", 6, 0, Role.READ, E1, accept=False),
    ],
)
# Token revocations: a writer's token (#5, made by #3) is not a colleague's (#4) to revoke; a
# token revokes the token it made (#6); a writer revokes its own token, and the token that one
# made (#7) ends with it.
@example(
    starts=[(Role.READ, Place(0)), (Role.WRITE, P1), (Role.WRITE, P1)],
    attempts=[
        Action("token", 3, 0, Role.WRITE, P1, accept=False),
        Action("untoken", 4, 5, Role.READ, P1, accept=False),
        Action("token", 5, 0, Role.READ, E1, accept=False),
        Action("untoken", 5, 6, Role.READ, P1, accept=False),
        Action("token", 5, 0, Role.READ, E1, accept=False),
        Action("untoken", 3, 5, Role.READ, P1, accept=False),
    ],
)
# The root, the workspace's sole admin, lowers its own role, or adds one in a project: refused.
@example(
    starts=[(Role.READ, P1), (Role.READ, P1), (Role.READ, P1)],
    attempts=[
        Action("grant", 0, 0, Role.READ, Place(0), accept=False),
        Action("grant", 0, 0, Role.ADMIN, P1, accept=False),
    ],
)
# The audit trail: a project's admin reads its project's, neither another project's nor the
# workspace's; its environment's admin and its writer read none; the workspace's admin any.
@example(
    starts=[(Role.ADMIN, P1), (Role.ADMIN, E1), (Role.WRITE, P1)],
    attempts=[
        Action("audit", 2, 0, Role.READ, P1, accept=False),
        Action("audit", 2, 0, Role.READ, Place(0, "p2"), accept=False),
        Action("audit", 2, 0, Role.READ, Place(0), accept=False),
        Action("audit", 3, 0, Role.READ, E1, accept=False),
        Action("audit", 4, 0, Role.READ, P1, accept=False),
        Action("audit", 0, 0, Role.READ, Place(0, "p2"), accept=False),
        Action("audit", 2, 0, Role.READ, Place(1, "q1"), accept=False),
    ],
)
def test_no_sequence_of_grants_invites_and_tokens_escalates(
    engine: Engine, starts: list[tuple[Role, Place]], attempts: list[Action]
) -> None:
    t = tenancy(engine, starts)
    assert_nobody_above_their_ceiling(t)
    for action in attempts:
        step(t, action)
        assert_nobody_above_their_ceiling(t)


def test_a_malformed_scope_is_refused_and_changes_nothing(engine: Engine) -> None:
    t = tenancy(engine, [(Role.ADMIN, Place(0))] * 3)
    for kind in ("grant", "invite", "token"):
        before = t.stored()
        with pytest.raises(UsageError):
            _perform(t, t.principals[0], Action(kind, 0, 2, Role.READ, MALFORMED, accept=True))
        assert t.stored() == before
