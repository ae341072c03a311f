"""Per-request dependencies: one database transaction, and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from envkeep.app import accounts
from envkeep.app.context import Actor, Call, utc_now
from envkeep.core.errors import NotAuthenticated


@dataclass
class ServerState:
    """What every request shares: the database and the server's key for fake salts."""

    engine: Engine
    server_key: bytes = field(repr=False)
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


Db = Annotated[Session, Depends(database)]


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
    client = request.client.host if request.client else None
    actor = Actor(principal_id, request_id=request.state.request_id, ip=client)
    return Call(db, actor)


AuthedCall = Annotated[Call, Depends(call)]
