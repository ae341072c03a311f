"""`envkeep server backup`: a consistent copy of a live SQLite server, checked and written
atomically; restored, a new server serves what was written before it, and the audit trail
verifies (a client that pinned a later head is told, and may re-anchor deliberately)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from envkeep.api.backups import back_up_database, pg_dump_command
from envkeep.core.errors import UsageError
from envkeep.store.schema_version import HEAD_REVISION
from tests.server import TeamServer, _environ, _start_on, cli, join, quick_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer


def _migrated(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    cli(tmp_path / "home", tmp_path, "server", "migrate", "--db", database)
    return database


def test_backup_writes_a_checked_0600_copy_and_replaces_one_only_with_force(
    tmp_path: Path,
) -> None:
    database = _migrated(tmp_path)
    out = tmp_path / "copy.db"

    made = cli(tmp_path / "home", tmp_path, "server", "backup", str(out), "--db", database)
    again = cli(tmp_path / "home", tmp_path, "server", "backup", str(out), "--db", database)
    forced = back_up_database(database, out, force=True)

    assert made.returncode == 0, made.stderr
    assert f"schema {HEAD_REVISION}" in made.stderr
    assert "integrity ok" in made.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert (again.returncode, again.stderr.splitlines()[0]) == (1, f"error: {out} exists")
    assert again.stderr.splitlines()[1] == (
        "hint: pass --force to replace it, or back up to another file"  # it has no -o
    )
    assert forced.revision == HEAD_REVISION
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")) == []
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file alone
    copy.close()


def test_a_directory_as_the_backup_is_refused_as_every_output_path_refuses_one(
    tmp_path: Path,
) -> None:
    """(The command's argument refuses a directory before it; `back_up` refuses one itself.)"""
    database = _migrated(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()

    with pytest.raises(UsageError) as refused:
        back_up_database(database, folder, force=True)

    assert (str(refused.value), refused.value.hint) == (
        f"{folder}: Is a directory",
        "give the path of a file",
    )
    assert list(folder.iterdir()) == []


def test_backup_reads_and_writes_paths_that_hold_uri_characters(tmp_path: Path) -> None:
    """'#' and '%' in a path: as text in a SQLite URI they would end it (or be read as an
    escape) and open, and create, another file; pathlib's URI escapes them. ('?' cannot be in
    the database URL itself: SQLAlchemy reads it as the URL's query.)"""
    odd = tmp_path / "ops #1 50%"
    odd.mkdir()
    database = _migrated(odd)

    done = back_up_database(database, odd / "copy #2.db")

    assert done.revision == HEAD_REVISION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ops #1 50%"]  # no stray file
    assert (odd / "copy #2.db").exists()


def test_backup_refuses_to_write_over_the_database_it_copies(tmp_path: Path) -> None:
    database = _migrated(tmp_path)
    before = (tmp_path / "server.db").read_bytes()

    for target in ("server.db", "server.db-wal"):
        done = cli(
            tmp_path / "home", tmp_path, "server", "backup", target, "--force", "--db", database
        )

        assert done.returncode == 2, done.stderr
        assert f"{target} is the database being backed up" in done.stderr
    assert (tmp_path / "server.db").read_bytes() == before


def test_backup_of_a_file_that_is_no_server_database_writes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    missing = cli(tmp_path / "home", tmp_path, "server", "backup", "out.db",
                  "--db", f"sqlite:///{tmp_path / 'nowhere.db'}")  # fmt: skip
    foreign = cli(tmp_path / "home", tmp_path, "server", "backup", "out.db",
                  "--db", f"sqlite:///{other}")  # fmt: skip

    assert missing.returncode == 1
    assert "there is no database at" in missing.stderr
    assert not (tmp_path / "nowhere.db").exists()  # not made by looking
    assert foreign.returncode == 1
    assert "is not an envkeep server database" in foreign.stderr
    assert not (tmp_path / "out.db").exists()


def test_backup_of_postgresql_points_at_pg_dump_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://envkeep:hunter2hunter2@db.internal:5433/keep"

    done = cli(tmp_path / "home", tmp_path, "server", "backup", "out.db", ENVKEEP_SERVER_DB=url)

    assert done.returncode == 2
    assert "back up PostgreSQL with pg_dump" in done.stderr
    assert pg_dump_command(url) in done.stderr
    assert pg_dump_command(url) == (
        "(umask 077; pg_dump --format=custom --file=envkeep.dump --host=db.internal --port=5433"
        " --username=envkeep keep)"
    )
    assert "hunter2" not in done.stderr
    assert not (tmp_path / "out.db").exists()


def test_the_pg_dump_command_it_gives_makes_a_dump_only_its_owner_reads(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    url = postgres.create_database()
    path = os.pathsep.join([str(postgres.bin_dir), os.environ.get("PATH", "")])
    try:
        # The hint is a shell command, run as a user pastes it; the URL is the test's own.
        done = subprocess.run(  # noqa: S602
            pg_dump_command(url),
            shell=True,
            cwd=tmp_path,
            env={**os.environ, "PATH": path},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        postgres.drop_database(url)

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "envkeep.dump").stat().st_mode & 0o777 == 0o600


@dataclass(frozen=True)
class Write:
    """One `set` of the writer: its variable and when it started and ended."""

    name: str
    started: float
    ended: float


class Writer(threading.Thread):
    """Sets V0, V1, … one by one (each its own request and audit event) until stopped."""

    def __init__(self, home: Path, work: Path) -> None:
        super().__init__()
        self.home, self.work = home, work
        self.writes: list[Write] = []
        self.failed = ""
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            name, started = f"V{len(self.writes)}", time.monotonic()
            written = cli(self.home, self.work, "set", f"{name}=value", "--env", "dev")
            if written.returncode != 0:
                self.failed = written.stderr
                return
            self.writes.append(Write(name, started, time.monotonic()))

    def wait_for(self, count: int) -> None:
        """Until ``count`` writes are done (the writer failing fails the test)."""
        while len(self.writes) < count:
            assert self.is_alive(), self.failed
            time.sleep(0.05)


@pytest.mark.slow
def test_a_backup_of_a_live_server_restores_what_was_written_before_it_and_its_trail(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path)
    admin, work = tmp_path / "admin", tmp_path / "work"
    work.mkdir()
    try:
        join(server, admin, work, server.invite("ops@x.io"), "ops@x.io")
        quick_ok(admin, work, "init", "shop")
        quick_ok(admin, work, "audit", "verify")
        writer = Writer(admin, work)
        writer.start()
        writer.wait_for(2)  # the server is busy writing when the backup starts
        began = time.monotonic()
        backup = cli(tmp_path / "ops", tmp_path, "server", "backup", str(tmp_path / "b.db"),
                     "--db", server.database)  # fmt: skip
        finished = time.monotonic()
        writer.wait_for(len(writer.writes) + 2)  # and goes on after it
        writer.stop.set()
        writer.join()
        assert not writer.failed, writer.failed
        quick_ok(admin, work, "audit", "verify")  # pins a head the backup does not hold
    finally:
        server.stop()
    assert backup.returncode == 0, backup.stderr

    restored = _restore(server, tmp_path / "b.db", tmp_path)
    try:
        listed = json.loads(quick_ok(admin, work, "list", "--env", "dev", "--json"))
        names = {row["name"] for row in listed}
        rolled_back = cli(admin, work, "audit", "verify")
        seen = re.search(r"--forget-head (\d+)", rolled_back.stderr)
        assert seen is not None, rolled_back.stderr
        wrong = cli(admin, work, "audit", "verify", "--forget-head", str(int(seen[1]) + 1))
        forget = cli(admin, work, "audit", "verify", "--forget-head", seen[1])
        after = cli(admin, work, "audit", "verify")
        fresh = tmp_path / "fresh"
        quick_ok(fresh, work, "login", restored.url, "--email", "ops@x.io",
                 ENVKEEP_PASSPHRASE="ops passphrase")  # fmt: skip
        fresh_verify = cli(fresh, work, "audit", "verify")
    finally:
        restored.stop()

    assert {w.name for w in writer.writes if w.ended < began} <= names  # all before it
    assert not {w.name for w in writer.writes if w.started > finished} & names  # none after
    assert rolled_back.returncode == 1
    assert "events seen before are missing or changed" in rolled_back.stderr
    assert wrong.returncode == 1  # a number that is not the head seen here forgets nothing
    assert f"names no head seen here (it is event {seen[1]})" in wrong.stderr
    assert forget.returncode == 0, forget.stderr
    assert forget.stderr.startswith("intact: ")
    assert "warning: forgot the head seen here before (event " in forget.stderr
    assert after.returncode == 0, after.stderr
    assert after.stderr.startswith("intact: ")
    assert "forgot" not in after.stderr
    assert fresh_verify.returncode == 0, fresh_verify.stderr
    assert fresh_verify.stderr.startswith("intact: ")


def _restore(stopped: TeamServer, backup: Path, root: Path) -> TeamServer:
    """As docs/deploy.md says: the server stopped, the copy in place of its file, the old
    -wal and -shm deleted; then a server on the same address (the clients' pins name it)."""
    database = stopped.database.removeprefix("sqlite:///")
    (root / "server.db").write_bytes(backup.read_bytes())
    for sidecar in ("-wal", "-shm"):
        (root / f"server.db{sidecar}").unlink(missing_ok=True)
    assert database == str(root / "server.db")
    port = urlsplit(stopped.url).port
    assert port is not None
    started = _start_on(port, stopped.database, _environ(root / "server-home"), root / "b.log")
    assert started is not None, "the server's port was taken meanwhile"
    return started
