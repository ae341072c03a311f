"""Fixtures shared by the app- and store-level tests: a real, migrated SQLite file."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.app.context import Actor, Call
from envkeep.app.principals import bootstrap_local_owner
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from tests.pg import PostgresServer, start_postgres
from tests.process_state import changes, files_open_under, process_state, restore
from tests.repeated_work import remember

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy import Engine

T = TypeVar("T")

# Hypothesis times examples by the wall clock (its 200 ms deadline, its "generation too slow"
# check); on a shared 2-core machine under load those fail tests whose assertions hold. What a
# property test asserts stays; time is left to the run's own bound (the Makefile's timeout).
settings.register_profile("envkeep", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("envkeep")


@pytest.fixture(scope="session", autouse=True)
def _repeated_work_done_once() -> Iterator[None]:
    """Login-key hashes and the default TLS context, made once per process
    (tests/repeated_work.py)."""
    with pytest.MonkeyPatch.context() as patch:
        remember(patch)
        yield


# Signals whose action a test must leave as it found it: one left at SIGPIPE's default made
# the next write to a closed pipe kill the xdist worker silently, and the run then hung.
_GUARDED_SIGNALS = (
    signal.SIGPIPE,
    signal.SIGXFSZ,
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGCHLD,
    signal.SIGALRM,
)


@pytest.fixture(autouse=True)
def _signal_actions_kept() -> Iterator[None]:
    """Fail a test that changes the process's signal actions (and put them back)."""
    before = {number: signal.getsignal(number) for number in _GUARDED_SIGNALS}
    yield
    changed = [
        number.name for number, action in before.items() if signal.getsignal(number) != action
    ]
    for number, action in before.items():
        signal.signal(number, action)
    assert not changed, f"the test left these signals' actions changed: {changed}"


@pytest.fixture(autouse=True)
def _process_state_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves its process changed for the tests after it on this worker
    (tests/process_state.py: the environment, directory, umask, descriptors 0-2, files
    left open in its tmp_path), and put back what can be."""
    before = process_state()
    yield
    left = changes(before, process_state())
    if left:
        restore(before)
    own = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    held = files_open_under(own) if isinstance(own, Path) else []
    assert not left, f"the test left its process changed: {'; '.join(left)}"
    assert not held, f"the test left files in its tmp_path open: {held}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh, migrated database on the session's PostgreSQL server."""
    url = postgres.create_database()
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "envkeep.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def engine(database: str) -> Iterator[Engine]:
    """A migrated database (every test using it runs on SQLite and on PostgreSQL)."""
    eng = open_engine(database)
    upgrade(eng)
    yield eng
    eng.dispose()


@dataclass(frozen=True)
class Store:
    """Runs use cases in their own transactions, as a backend does."""

    engine: Engine

    def run(self, principal_id: str, use_case: Callable[[Call], T]) -> T:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return use_case(Call(session, Actor(principal_id)))


@dataclass(frozen=True)
class Owner:
    principal_id: str
    keys: crypto.PrivateKeys
    workspace_id: str


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def owner(store: Store) -> Owner:
    """The embedded store's owner: admin of the local workspace."""
    keys = crypto.generate_keys()
    principal_id = "00000000-0000-4000-8000-000000000001"
    public = keys.public()
    workspace_id = store.run(
        principal_id,
        lambda call: bootstrap_local_owner(
            call,
            name="owner@local",
            encryption_public=public.encryption,
            signing_public=public.signing,
        ),
    )
    return Owner(principal_id, keys, workspace_id)


def sqlite_only(engine: Engine) -> None:
    """Skip a test that is about the embedded SQLite store itself."""
    if engine.dialect.name != "sqlite":
        pytest.skip("about the embedded SQLite store")
