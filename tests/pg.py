"""A real PostgreSQL server for the test session: initdb in a temp dir, started on a free
loopback port, stopped at the end. Each test gets its own fresh database.

make test sets ENVKEEP_TEST_POSTGRES=required (after installing PostgreSQL with apt when it is
missing), so there a missing server fails the run; elsewhere the PostgreSQL cases are skipped.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import ports

_counter = itertools.count(1)


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return versions[0].parent if versions else None


def _as_server_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; the distribution's postgres user can.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"envkeep_test_{os.getpid()}_{next(_counter)}"
        self._psql(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _psql(self, sql: str) -> None:
        subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
        )

    def halt(self, mode: str) -> None:
        """Stop the server (``pg_ctl -m fast`` or ``immediate``), keeping its data: ``resume``
        starts it again on the same port."""
        subprocess.run(
            _as_server_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"]
            ),
            check=True,
            capture_output=True,
        )

    def resume(self) -> None:
        """Start a server ``halt`` stopped, on its port, and wait until it takes connections."""
        started = _pg_ctl_start(self.bin_dir, self.data_dir, self.port, self.data_dir.parent)
        assert started.returncode == 0, started.stderr
        _wait_ready(self.port)

    def stop(self) -> None:
        subprocess.run(
            _as_server_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb + start a throw-away server; pytest.skip (or fail when required) if impossible."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL is not installed (make test installs it with apt)")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="envkeep-pg-"))
    data = root / "data"
    root.chmod(0o777)  # the server user must reach its data directory
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    init = subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        _unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    for _ in range(ports.STARTS):
        port = ports.free_port()
        started = _pg_ctl_start(bin_dir, data, port, root)
        if started.returncode == 0:
            break
        if "address already in use" not in _log_text(root, port).lower():
            _unavailable(f"PostgreSQL did not start: {started.stderr.strip()[-300:]}")
    else:
        _unavailable(f"PostgreSQL found no free port: {_log_text(root, port)[-300:]}")
    server = PostgresServer(bin_dir, data, port)
    _wait_ready(port)
    return server


def _pg_ctl_start(
    bin_dir: Path, data: Path, port: int, root: Path
) -> subprocess.CompletedProcess[str]:
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    log = root / f"log-{port}"
    argv = [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log)]
    return subprocess.run(
        _as_server_user([*argv, "-w", "-t", "60", "start"]),
        capture_output=True,
        text=True,
        check=False,
    )


def _log_text(root: Path, port: int) -> str:
    log = root / f"log-{port}"
    return log.read_text(errors="replace") if log.exists() else ""


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    _unavailable("PostgreSQL did not accept connections within 30 s")


def _unavailable(reason: str) -> None:
    if os.environ.get("ENVKEEP_TEST_POSTGRES") == "required":
        pytest.fail(f"PostgreSQL is required for this run: {reason}", pytrace=False)
    pytest.skip(reason)
