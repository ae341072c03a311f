"""Per-request dependencies: one database transaction, and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from envkeep.api.ratelimit import Limits
from envkeep.app import accounts
from envkeep.app.context import Actor, Call, utc_now
from envkeep.core.errors import NotAuthenticated


@dataclass
class ServerState:
    """What every request shares: the database and the server's key for fake salts."""

    engine: Engine
    server_key: bytes = field(repr=False)
    limits: Limits = field(default_factory=Limits)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)


def state(request: Request) -> ServerState:
    found: ServerState = request.app.state.envkeep
    return found


def database(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the request succeeds, else rolls back."""
    with state(request).sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent, so a 2xx means
# committed. max_concurrency: at most this many requests hold a database session (and, on
# SQLite, the write lock) at once, waiting without a worker thread; more would let a request
# that holds the lock wait for a thread held by requests waiting for the lock.
MAX_TRANSACTIONS = 12
Db = Annotated[Session, Depends(database, scope="function", max_concurrency=MAX_TRANSACTIONS)]


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The token of an ``Authorization: Bearer …`` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("log in first", hint="envkeep login URL")
    return token.strip()


Token = Annotated[str, Depends(bearer_token)]


def call(request: Request, db: Db, token: Token) -> Call:
    """The use-case call of an authenticated request."""
    principal_id = accounts.authenticate(db, token=token, now=utc_now())
    state(request).limits.per_principal.take(principal_id)
    request.state.principal_id = principal_id
    client = request.client.host if request.client else None
    actor = Actor(principal_id, request_id=request.state.request_id, ip=client)
    return Call(db, actor)


AuthedCall = Annotated[Call, Depends(call)]


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front should be trusted explicitly; none is, by default)."""
    return request.client.host if request.client else "unknown"


def limit_login(request: Request, email: str) -> None:
    """Login attempts: a bucket per account and one per IP, whatever the outcome."""
    limits = state(request).limits
    limits.logins.take(f"account:{email.lower()}")
    limits.logins.take(f"ip:{client_ip(request)}", cost=0.2)
