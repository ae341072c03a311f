"""Per-request dependencies: one database transaction, and who is calling.

Transactions pass a gate first: one at a time on SQLite (which lets one transaction write at a
time anyway: queueing on the event loop costs nothing, while queueing in SQLite's busy handler
sleeps 1, 2, 5 … 100 ms between tries), up to ``slots`` on PostgreSQL; a request
waits for its turn at most ``slot_wait`` seconds (``api.transaction_slots``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from envkeep.api.client_command import HEADER as COMMAND_HEADER
from envkeep.api.client_command import client_command
from envkeep.api.driver_call import DriverCall, driver_execute, driver_fetch
from envkeep.api.group_commit import GroupCommit, GroupTransaction
from envkeep.api.rate_keys import address_key
from envkeep.api.ratelimit import Limits
from envkeep.api.schema_watch import SchemaWatch
from envkeep.api.snapshot_json import SnapshotJson
from envkeep.api.transaction_slots import SLOT_WAIT_S, TransactionSlots
from envkeep.app import accounts, session_marks, sessions
from envkeep.app.context import Actor, Call, session_execute, session_fetch, utc_now
from envkeep.app.secrets_cache import SecretsCache
from envkeep.app.token_lifetime import NO_MAXIMUM, LifetimePolicy
from envkeep.core.errors import NotAuthenticated
from envkeep.store.answer_deadline import database_work
from envkeep.store.migrate import stored_revision

if TYPE_CHECKING:
    from envkeep.app.ports import Fetch
    from envkeep.app.views import EnvironmentSnapshot

T = TypeVar("T")

# At most this many requests hold a database session at once on PostgreSQL, by default (a
# server's come from its `pool_size`: `store.pool_size`).
MAX_TRANSACTIONS = 12
# On a request's state: (session id, time) of the last-use mark its transaction wrote.
MARK_DUE = "session_mark_due"


def _ignore(_timed: Sequence[tuple[str, float]]) -> None:
    pass


@dataclass
class ServerState:
    """What every request shares: the database, the server's key for fake salts, the limits,
    the maximum lifetime of tokens (`token_lifetime`), the watch on the database's schema
    (``schema``: no transaction starts once it changed); the secrets cache (on PostgreSQL,
    rechecked: ``app.secrets_cache``) and the rendered snapshots; on SQLite, the group commit;
    ``observe`` records statements the engine's events do not see, each (its text, its
    seconds); ``slots``: how
    many transactions run at once on PostgreSQL; ``slot_wait``: the longest a request waits
    for one of them."""

    engine: Engine
    limits: Limits = field(default_factory=Limits)
    observe: Callable[[Sequence[tuple[str, float]]], None] = _ignore
    token_lifetime: LifetimePolicy = NO_MAXIMUM
    slots: int = MAX_TRANSACTIONS
    slot_wait: float = SLOT_WAIT_S
    sessions: sessionmaker[Session] = field(init=False)
    schema: SchemaWatch = field(init=False)
    group_commit: GroupCommit | None = field(default=None, init=False)
    secrets_cache: SecretsCache | None = field(default=None, init=False)
    render: Callable[[EnvironmentSnapshot], bytes] | None = field(default=None, init=False)
    _gate: TransactionSlots | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.schema = SchemaWatch(partial(stored_revision, self.engine))
        if self.engine.dialect.name == "sqlite":
            self.group_commit = GroupCommit(
                self.engine, lambda: self.gate.semaphore, self.observe, self.slot_wait
            )
            self.secrets_cache = SecretsCache()
        else:  # a read's statements may see different commits: `secrets_cache`, recheck
            self.secrets_cache = SecretsCache(recheck=True)
        self.render = SnapshotJson()  # renders what it is given: right on either database

    def close(self) -> None:
        """Give back what the server holds of the database (on shutdown)."""
        if self.group_commit is not None:
            self.group_commit.close()
        self.engine.dispose()

    @property
    def gate(self) -> TransactionSlots:
        """Made on first use, inside the server's event loop."""
        if self._gate is None:
            sqlite = self.engine.dialect.name == "sqlite"
            self._gate = TransactionSlots(1 if sqlite else self.slots, self.slot_wait)
        return self._gate


def state(request: Request) -> ServerState:
    found: ServerState = request.app.state.envkeep
    return found


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def database(request: Request) -> AsyncIterator[Session]:
    """A session whose transaction commits when the request succeeds, else rolls back."""
    found = state(request)
    found.schema.check()
    async with found.gate:
        with database_work():
            session = found.sessions()
            try:
                yield session
            except BaseException:
                await run_in_threadpool(_finish, session, False)
                raise
            await run_in_threadpool(_finish, session, True)


# scope="function": the transaction commits before the response is sent, so a 2xx means
# committed.
Db = Annotated[Session, Depends(database, scope="function")]


def token_of(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("log in first", hint="envkeep login URL")
    return token.strip()


async def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    return token_of(authorization)


Token = Annotated[str, Depends(bearer_token)]


@dataclass(frozen=True)
class Caller:
    """A request as its transaction needs it: the bearer token, what the audit trail records,
    and the request's state (where the log line finds the principal)."""

    token: str
    request_id: str | None
    ip: str | None
    state: dict[str, Any]
    command: str | None = None  # `client_command`: what the client says sent the request

    @classmethod
    def of(cls, request: Request, token: str) -> Caller:
        scope_state: dict[str, Any] = request.scope.setdefault("state", {})
        command = client_command(request.headers.get(COMMAND_HEADER))
        return cls(token, scope_state.get("request_id"), peer(request), scope_state, command)


class Statements(NamedTuple):
    """A transaction's statements as authenticating in it needs them: reads, one write (a
    session's last use, `session_marks`), and whether the database is SQLite (how a time
    is written there). A named tuple: made on every request."""

    fetch: Fetch
    execute: Callable[[str, Mapping[str, Any]], None]
    sqlite: bool

    @classmethod
    def of(cls, session: Session) -> Statements:
        """Those of an ORM session's transaction, sent to the driver as they are."""
        sqlite = session.get_bind().dialect.name == "sqlite"
        return cls(partial(session_fetch, session), partial(session_execute, session), sqlite)


def actor_of(statements: Statements, limits: Limits, caller: Caller) -> Actor:
    """Who ``caller``'s token stands for, now, inside the request's transaction (so a revoked
    session or token fails at once); the per-principal rate limit applies here. The session's
    last use is written here when the stored one is older than `session_marks.USED_STEP`
    (in the same transaction; a request answered 4xx, whose transaction rolled back, writes
    it again in one of its own: `refused_marks`)."""
    now = utc_now()
    try:
        bearer = sessions.authenticate(statements.fetch, token=caller.token, now=now)
    except sessions.EndedToken as ended:
        caller.state["ended_token"] = (ended.principal_id, ended.workspace_id)  # `denials`
        raise
    principal_id = bearer.principal_id
    caller.state["principal_id"] = principal_id  # the log line names whom a 429 throttled
    limits.per_principal.take(principal_id, what="too many requests by this login or token")
    if session_marks.used_due(bearer.last_used_at, now):
        session_marks.mark_used(
            statements.execute, bearer.session_id, now, sqlite=statements.sqlite
        )
        caller.state[MARK_DUE] = (bearer.session_id, now)  # a refusal keeps it: `refused_marks`
    return Actor(principal_id, request_id=caller.request_id, ip=caller.ip, command=caller.command)


def authenticated(request: Request, session: Session, token: str) -> Call:
    """The use-case call of a request bearing ``token``, inside ``session``'s transaction."""
    actor = actor_of(Statements.of(session), state(request).limits, Caller.of(request, token))
    return Call(session, actor)


def call(request: Request, db: Db, token: Token) -> Call:
    """The use-case call of an authenticated request."""
    return authenticated(request, db, token)


AuthedCall = Annotated[Call, Depends(call)]


Who = Callable[[Statements], Actor]  # the actor of a transaction, found inside it


def _transaction(who: Who, work: Callable[[Call], T], found: ServerState) -> T:
    session = found.sessions()
    ok = False
    try:
        result = work(Call(session, who(Statements.of(session))))
        ok = True
    finally:
        _finish(session, ok)
    return result


def _in_group(who: Who, work: Callable[[Call], T], group: GroupTransaction) -> T:
    fetch = partial(driver_fetch, group.driver, group.record)
    actor = who(Statements(fetch, partial(driver_execute, group.driver, group.record), True))
    return work(DriverCall(group.orm, actor, driver=group.driver, observe=group.record))


async def _run(
    found: ServerState,
    who: Who,
    work: Callable[[Call], T],
    *,
    shared: bool,
    small: bool,
    size: int = 0,
) -> T:
    found.schema.check()
    if found.group_commit is not None:
        return await found.group_commit.run(
            partial(_in_group, who, work), shared=shared, inline=small, size=size
        )
    async with found.gate:
        with database_work():
            return await run_in_threadpool(_transaction, who, work, found)


async def run_as(
    found: ServerState,
    caller: Caller,
    work: Callable[[Call], T],
    *,
    shared: bool = False,
    small: bool = False,
    size: int = 0,
) -> T:
    """Run ``work`` in one transaction as the caller's principal, in one worker-thread hop;
    the answer comes once the transaction committed. On SQLite (``group_commit``) a
    ``shared`` job (one that writes nothing but its audit event) may share its transaction
    with other reads, and a ``small`` write (about ``size`` bytes) with other small writes,
    on the event loop."""
    who = partial(actor_of, limits=found.limits, caller=caller)
    return await _run(found, who, work, shared=shared, small=small, size=size)


async def run_for(found: ServerState, actor: Actor, work: Callable[[Call], T]) -> T:
    """Run ``work`` for an ``actor`` known already (a refused request's audit event, whose
    own transaction rolled back); it writes only that event, so on SQLite it may share a
    group's transaction."""
    return await _run(found, lambda _statements: actor, work, shared=True, small=False)


async def transact(
    request: Request, token: str, work: Callable[[Call], T], *, shared: bool = False
) -> T:
    """``run_as`` for a FastAPI route: the same as ``AuthedCall`` plus a sync route body,
    without a thread hop per dependency."""
    return await run_as(state(request), Caller.of(request, token), work, shared=shared)


def origin(request: Request) -> accounts.Origin:
    """A request's id and peer address, for the audit event of one made before it had a
    session (an invite accepted, a login), and its User-Agent, which a session it starts
    keeps."""
    found: dict[str, Any] = request.scope.get("state", {})
    agent = request.headers.get("user-agent")
    return accounts.Origin(found.get("request_id"), peer(request), agent)


def peer(request: Request) -> str | None:
    """The peer address the audit trail records, None when unknown (a proxy in front names
    the client only when trusted explicitly; none is, by default)."""
    return request.client.host if request.client else None


def client_ip(request: Request) -> str:
    """The peer address as the per-IP limits key it (`rate_keys.address_key`: an IPv6
    client by its /64); every request whose peer is unknown shares one budget."""
    return address_key(peer(request))


def limit_login(request: Request, email: str) -> None:
    """Login attempts: a bucket per account and one per IP, whatever the outcome."""
    limits = state(request).limits
    account = f"too many login or passphrase attempts for {email} (the login throttle)"
    limits.logins.take(f"account:{email.lower()}", what=account)
    address = "too many login attempts from this address (the login throttle)"
    limits.logins.take(f"ip:{client_ip(request)}", cost=0.2, what=address)
