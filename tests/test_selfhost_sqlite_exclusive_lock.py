"""Another process holds a real `envkeep server`'s SQLite file under an exclusive lock (`BEGIN
EXCLUSIVE` in a sqlite3 shell or a backup script, left open). A client's read (it appends an
audit event: a write) waits the busy timeout, then is told the database does not answer and to
retry; the server's log names the cause, "database is locked", and no secret. A server started
on the file meanwhile stops at once with the hint `sqlite_unopened` gives: another process
holds it locked."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

from tests import ports
from tests.server import ENVKEEP, _environ, cli, cli_ok, join, start_server
from tests.sqlite_holder import locked

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SECRET_NAME = "LOCKSMITH_TOKEN"
SECRET_VALUE = "s3cr3t-under-lock-4d2a9e"


def _lines(logged: str) -> Iterator[dict[str, object]]:
    return (json.loads(line) for line in logged.splitlines() if line.startswith("{"))


def test_an_exclusively_locked_file_is_named_as_the_cause_to_the_operator_not_the_client(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    database = tmp_path / "srv" / "server.db"
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        join(server, home, work, server.invite("ops@example.com"), "ops@example.com")
        cli_ok(home, work, "init", "shop")
        cli_ok(home, work, "set", f"{SECRET_NAME}={SECRET_VALUE}")
        with locked(database):
            refused = cli(home, work, "get", SECRET_NAME)
        assert refused.returncode == 5, refused.stderr
        assert refused.stdout == ""
        assert "error: the server's database does not answer (request id" in refused.stderr
        assert "hint: retry in a moment" in refused.stderr
        assert "locked" not in refused.stderr  # the server's file is the operator's business
        logged = list(_lines(server.log.read_text()))
        outage = [line for line in logged if line["event"] == "database unavailable"]
        assert [line["database_error"] for line in outage] == ["database is locked"]
        failed = [line for line in logged if line.get("status") == 503]
        assert failed, "no request was answered 503"
        assert {line["database_error"] for line in failed} == {"database is locked"}
        assert not [line for line in logged if line.get("status") == 500]
        assert server.leaks((SECRET_NAME, SECRET_VALUE, "ops passphrase")) == []
    finally:
        server.stop()

    command = [*ENVKEEP, "server", "--host", "127.0.0.1", "--port", str(ports.free_port())]
    with locked(database):
        started = subprocess.run(
            [*command, "--db", f"sqlite:///{database}"],
            check=False,
            env=_environ(tmp_path / "srv" / "server-home"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert started.returncode == 7, started.stderr
    assert started.stderr.splitlines() == [
        f"error: cannot open the database sqlite:///{database}: database is locked",
        "hint: another process holds it locked: stop that process (or wait), then run again",
    ]
