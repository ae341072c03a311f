"""A real `envkeep server` process for tests, and invites made straight in its database."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session

from envkeep.api.serve import migrate
from envkeep.app import credentials
from envkeep.app.policy import Role
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite
from tests import forked, ports
from tests.repeated_work import fixture_joins

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import pytest

    from tests.pg import PostgresServer

ENVKEEP = [str(Path(sys.executable).with_name("envkeep"))]
# A start takes about a second; under a loaded run (other workers, other jobs on the machine)
# one took over 30 s, and every [http] test of that worker then failed at set-up.
READY_SECONDS = 120

# The console script, with a SIGTERM sent to itself while the command's imports run (once the
# start holds SIGTERM, before any of the command runs): `python -c SIGTERM_WHILE_IMPORTING ARGS`.
SIGTERM_WHILE_IMPORTING = """\
import os, signal, sys
from envkeep.cli import entry
real = entry._typer_main
def late(args):
    os.kill(os.getpid(), signal.SIGTERM)
    return real(args)
entry._typer_main = late
entry.main(sys.argv[1:])
"""


def _environ(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    env.update({"ENVKEEP_HOME": str(home), "ENVKEEP_KEYRING": "off", "CI": "1", **extra})
    return env


def interrupted_once_served(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Wait (up to `READY_SECONDS`) for ``process``, a server started with its stderr piped
    as text, to log ``server_started``, then stop it with SIGINT: its stdout and its whole
    stderr. A process that ends first fails the test with what it said; one silent past the
    deadline is killed (a read of its stderr waits for a line: no clock check ends it), and
    one still running at the end too."""
    silent = threading.Timer(READY_SECONDS, process.kill)
    silent.start()
    try:
        assert process.stderr is not None
        seen: list[str] = []
        while not any("server_started" in line for line in seen):
            line = process.stderr.readline()
            if not line:  # it ended before it served, or was killed silent
                raise AssertionError(
                    f"it ended (exit {process.wait()}; -9: killed after {READY_SECONDS} s"
                    f" silent): {''.join(seen)}"
                )
            seen.append(line)
        silent.cancel()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        silent.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):  # left open, each fails the test again
            if stream is not None:
                stream.close()
    return out or "", "".join(seen) + err


def cli(home: Path, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """The real `envkeep` in ``cwd`` with its own ENVKEEP_HOME (and ``extra`` variables): a
    process forked from one that has imported envkeep (tests/forked.py), its output read as
    ``subprocess.run(…, text=True)`` reads it."""
    command = [*ENVKEEP, *args]
    done = forked.run(command, cwd=cwd, env=_environ(home, **extra))
    return subprocess.CompletedProcess(
        command, done.returncode, _text(done.stdout), _text(done.stderr)
    )


def _text(data: bytes) -> str:
    """Output decoded as text mode decodes it: universal newlines."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


def cli_ok(home: Path, cwd: Path, *args: str, **extra: str) -> str:
    """``cli`` that must succeed; its stdout."""
    done = cli(home, cwd, *args, **extra)
    assert done.returncode == 0, f"envkeep {' '.join(args)}: {done.stderr}"
    return done.stdout


def quick_ok(home: Path, cwd: Path, *args: str, **extra: str) -> str:
    """``cli_ok`` run in this process (tests/inprocess.py): for setting state up, not for the
    behaviour under test."""
    from tests.inprocess import run_main

    code, out, err = run_main(args, _environ(home, **extra), cwd)
    assert code == 0, f"envkeep {' '.join(args)}: {err}"
    return out


@dataclass
class TeamServer:
    """One running server, its database URL and its log file."""

    url: str
    database: str
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def invite(self, email: str, *, role: Role = Role.ADMIN) -> str:
        """An invite code founding a new workspace for ``email`` (tests need many tenants)."""
        secret = credentials.new_secret()
        invite_id = str(uuid.uuid4())
        engine = open_engine(self.database)
        now = datetime.now(UTC)
        with Session(engine) as session, session.begin():
            session.add(
                Invite(
                    id=invite_id,
                    workspace_id=None,
                    email=email.lower(),
                    role=str(role),
                    secret_hash=credentials.token_hash(secret),
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
            )
        engine.dispose()
        return f"ek_inv_{invite_id}_{secret}"

    def leaks(self, planted: Iterable[str]) -> list[str]:
        """Where any of ``planted`` shows in clear: the server's log, a dump of its database,
        its metrics. The log must hold request lines (JSON, or `--log-format text`), or the
        search would prove nothing."""
        logged = self.log.read_text()
        request_lines = ('"event": "request"', "] request ")
        assert any(line in logged for line in request_lines), "the server logged no requests"
        places = {"log": logged, "metrics": httpx.get(f"{self.url}/metrics").text}
        if self.database.startswith("sqlite:///"):
            connection = sqlite3.connect(self.database.removeprefix("sqlite:///"))
            places["database"] = "\n".join(connection.iterdump())
            connection.close()
        return [
            f"{text!r} in the {place}"
            for text in planted
            for place, found in places.items()
            if text in found
        ]

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_server(root: Path, database: str | None = None, *args: str) -> TeamServer:
    """Migrate and start `envkeep server` (with ``args``) on a free loopback port; wait until
    it is ready. Every test's CLI comes from 127.0.0.1, one per-IP bucket for a whole module:
    unless ``args`` name a ``--rate``, the limit is 1,000 a second (the default's 50 a second
    was spent by a module of quick commands on an idle machine)."""
    if "--rate" not in args:
        args = (*args, "--rate", "1000")
    home = root / "server-home"
    home.mkdir(parents=True, exist_ok=True)
    database = database or f"sqlite:///{root / 'server.db'}"
    env = _environ(home)
    migrate(database)  # what `envkeep server migrate` runs, without a process's 0.5 s start
    log = root / "server.log"
    for _ in range(ports.STARTS):
        started = _start_on(ports.free_port(), database, env, log, args)
        if started is not None:
            return started
    raise RuntimeError(f"envkeep server found no free port: {log.read_text()[-2000:]}")


def _start_on(
    port: int, database: str, env: dict[str, str], log: Path, args: Iterable[str] = ()
) -> TeamServer | None:
    """The server on ``port`` once ready; None if something else took the port meanwhile."""
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                *ENVKEEP,
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                database,
                *args,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text()
            if "address already in use" in said.lower():
                return None
            raise RuntimeError(f"envkeep server exited: {said[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return TeamServer(url, database, log, process)
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"envkeep server did not become ready in {READY_SECONDS} s")


def join(server: TeamServer, home: Path, work: Path, code: str, email: str) -> None:
    """``email`` joins with an invite ``code``, its passphrase named after it
    (``alice@x.io``: ``alice passphrase``)."""
    passphrase = f"{email.partition('@')[0]} passphrase"
    with fixture_joins():  # a set-up step: its key derived once per passphrase
        quick_ok(
            home, work, "join", server.url, code, "--email", email, ENVKEEP_PASSPHRASE=passphrase
        )


def server_per_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    *args: str,
) -> Iterator[TeamServer]:
    """The body of a fixture parametrized ``sqlite``/``postgresql``: a server (started with
    ``args``) on a database of that kind (on PostgreSQL, one the session's server makes and
    drops afterwards)."""
    root = tmp_path_factory.mktemp(f"{name}-{request.param}")
    database = None
    if request.param == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        database = postgres.create_database()
    running = start_server(root, database, *args)
    yield running
    running.stop()
    if database is not None:
        postgres.drop_database(database)
