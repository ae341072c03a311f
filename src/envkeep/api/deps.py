"""Per-request dependencies: one database transaction, and who is calling.

Transactions pass a gate first: one at a time on SQLite (which lets one transaction write at a
time anyway: queueing on the event loop costs nothing, while queueing in SQLite's busy handler
sleeps 1, 2, 5 … 100 ms between tries), up to ``MAX_TRANSACTIONS`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from envkeep.api.ratelimit import Limits
from envkeep.app import sessions
from envkeep.app.context import Actor, Call, session_fetch, utc_now
from envkeep.core.errors import NotAuthenticated

T = TypeVar("T")

# At most this many requests hold a database session at once on PostgreSQL (the pool's size).
MAX_TRANSACTIONS = 12


@dataclass
class ServerState:
    """What every request shares: the database and the server's key for fake salts."""

    engine: Engine
    server_key: bytes = field(repr=False)
    limits: Limits = field(default_factory=Limits)
    sessions: sessionmaker[Session] = field(init=False)
    _gate: asyncio.Semaphore | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def gate(self) -> asyncio.Semaphore:
        """Made on first use, inside the server's event loop."""
        if self._gate is None:
            sqlite = self.engine.dialect.name == "sqlite"
            self._gate = asyncio.Semaphore(1 if sqlite else MAX_TRANSACTIONS)
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
    async with found.gate:
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


async def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("log in first", hint="envkeep login URL")
    return token.strip()


Token = Annotated[str, Depends(bearer_token)]


def authenticated(request: Request, session: Session, token: str) -> Call:
    """The use-case call of a request bearing ``token``, inside ``session``'s transaction."""
    fetch = partial(session_fetch, session)
    principal_id = sessions.authenticate(fetch, token=token, now=utc_now())
    state(request).limits.per_principal.take(principal_id)
    request.state.principal_id = principal_id
    client = request.client.host if request.client else None
    actor = Actor(principal_id, request_id=request.state.request_id, ip=client)
    return Call(session, actor)


def call(request: Request, db: Db, token: Token) -> Call:
    """The use-case call of an authenticated request."""
    return authenticated(request, db, token)


AuthedCall = Annotated[Call, Depends(call)]


def _transaction(request: Request, token: str, work: Callable[[Call], T]) -> T:
    found = state(request)
    session = found.sessions()
    ok = False
    try:
        result = work(authenticated(request, session, token))
        ok = True
    finally:
        _finish(session, ok)
    return result


async def transact(request: Request, token: str, work: Callable[[Call], T]) -> T:
    """Run ``work`` in one transaction as the token's principal, in one worker thread.

    The same as ``AuthedCall`` plus a sync route body, without a thread hop per dependency:
    for the routes every client calls all the time (reading and writing an environment).
    """
    async with state(request).gate:
        return await run_in_threadpool(_transaction, request, token, work)


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front should be trusted explicitly; none is, by default)."""
    return request.client.host if request.client else "unknown"


def limit_login(request: Request, email: str) -> None:
    """Login attempts: a bucket per account and one per IP, whatever the outcome."""
    limits = state(request).limits
    limits.logins.take(f"account:{email.lower()}")
    limits.logins.take(f"ip:{client_ip(request)}", cost=0.2)
