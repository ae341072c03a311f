"""A full disk under a real `envkeep server`'s SQLite file, and under the embedded store: a
write is refused as a full disk, nothing of it lands, and once space is freed writes work again.
The disk is a 2 MiB tmpfs (mounting needs root; skipped elsewhere, CI runs as root)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import create_engine, exc

from envkeep.api.problems import for_error
from envkeep.client.http import raise_problem
from envkeep.core.errors import StorageFull
from tests.server import cli, cli_ok, join, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A directory on a 2 MiB file system of its own, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    where = tmp_path / "small"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Take every free byte of ``disk``: the file that holds them."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as sink:
        while True:
            sink.write(b"\0" * 4096)
    return filler


_KEPT_COPY_WARNING = (
    "warning: the server answers, but its database is out of disk space; using the copy"
)


def _large() -> str:
    return secrets.token_hex(16_000)  # 32 KB: no page SQLite has free takes it


def test_a_server_write_on_a_full_disk_is_refused_as_such_and_lands_once_space_is_freed(
    small_disk: Path, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "srv", f"sqlite:///{small_disk / 'server.db'}")
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        join(server, home, work, server.invite("ops@example.com"), "ops@example.com")
        cli_ok(home, work, "init", "shop")
        cli_ok(home, work, "set", "PORT=8080")
        assert cli_ok(home, work, "get", "PORT") == "8080\n"  # a copy kept for offline reads
        filler = _fill(small_disk)

        refused = cli(home, work, "set", f"BIG={_large()}")
        assert refused.returncode == 5, refused.stderr
        assert "error: the server's database is out of disk space" in refused.stderr
        assert "retry once the server's operator has freed space" in refused.stderr
        assert "database_error" in server.log.read_text()
        assert "database or disk is full" in server.log.read_text()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        # Every read appends its audit event: the server serves it while a free page of the
        # file takes the event, and refuses it as the write was refused after (the same 503,
        # not a 500), when the CLI reads its kept copy and says why.
        read = cli(home, work, "get", "PORT")
        assert (read.returncode, read.stdout) == (0, "8080\n"), read.stderr
        assert read.stderr == "" or read.stderr.startswith(_KEPT_COPY_WARNING), read.stderr

        filler.unlink()
        cli_ok(home, work, "set", f"BIG={_large()}")
        assert "1        " in cli_ok(home, work, "history", "BIG")  # one version: nothing half
        assert "2        " not in cli_ok(home, work, "history", "BIG")
        assert "intact" in cli(home, work, "audit", "verify").stderr
    finally:
        server.stop()


def test_a_full_database_is_answered_503_storage_full_in_problem_json(tmp_path: Path) -> None:
    # A real SQLITE_FULL: a file allowed no more pages than it has (no mount needed).
    engine = create_engine(f"sqlite:///{tmp_path / 'full.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (v TEXT)")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA max_page_count = 2")
        with pytest.raises(exc.OperationalError) as raised:
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", (_large(),))
    engine.dispose()
    answer = for_error(raised.value)
    assert answer is not None
    assert answer.status_code == 503
    assert answer.media_type == "application/problem+json"
    sent = bytes(answer.body)
    body = json.loads(sent)
    assert body["code"] == "storage_full"
    assert body["title"] == "the server's database is out of disk space; nothing was written"
    assert answer.headers["Retry-After"] == "30"
    with pytest.raises(StorageFull):  # what the CLI makes of it: exit 5, as a 503 is
        raise_problem(httpx.Response(503, content=sent, headers=dict(answer.headers)))


def test_the_embedded_store_refuses_a_write_on_a_full_disk_and_serves_reads_meanwhile(
    small_disk: Path,
) -> None:
    home, work = small_disk / "home", small_disk / "work"
    work.mkdir()
    cli_ok(home, work, "init", "shop")
    cli_ok(home, work, "set", "PORT=8080")
    filler = _fill(small_disk)

    refused = cli(home, work, "set", f"BIG={_large()}")
    assert refused.returncode == 1
    assert "is full: free some space, then run the command again" in refused.stderr
    # No room for the -shm file a WAL store's connection makes: read without one.
    assert cli_ok(home, work, "get", "PORT") == "8080\n"
    assert "PORT" in cli_ok(home, work, "list")

    filler.unlink()
    assert cli_ok(home, work, "get", "PORT") == "8080\n"
    assert cli(home, work, "get", "BIG").returncode == 1  # nothing of the refused write
    store = next(home.rglob("*.db"))
    checked = sqlite3.connect(store).execute("PRAGMA integrity_check").fetchone()
    assert checked == ("ok",)
    cli_ok(home, work, "set", "PORT=9090")
    assert cli_ok(home, work, "get", "PORT") == "9090\n"
