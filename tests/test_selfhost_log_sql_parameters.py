"""An unexpected database error's traceback in the server's log, JSON or `--log-format text`:
the statement is there, its parameters never are (`requestlog._hide_sql_parameters`; they hold
emails, token hashes, ciphertext). A real server process whose SQLite database refuses to add
an account: a trigger that asks for a blob over SQLite's limit ("string or blob too big", an
error the server has no answer for: a 500)."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

import pytest

from envkeep.api.serve import migrate
from tests.server import cli, start_server

if TYPE_CHECKING:
    from pathlib import Path

PLANTED_EMAIL = "planted-7c1e0b@example.com"  # a parameter of the INSERT that fails
PASSPHRASE = "sql parameters stay out of logs"


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_failed_statement_is_logged_without_its_parameters(
    tmp_path: Path, log_format: str
) -> None:
    database = tmp_path / "server.db"
    migrate(f"sqlite:///{database}")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_accounts BEFORE INSERT ON principals"
            " BEGIN SELECT zeroblob(2000000000); END"
        )
    connection.close()
    server = start_server(tmp_path, f"sqlite:///{database}", "--log-format", log_format)
    try:
        code = server.invite(PLANTED_EMAIL)
        (tmp_path / "work").mkdir()
        joined = cli(
            tmp_path / "home",
            tmp_path / "work",
            *("join", server.url, code, "--email", PLANTED_EMAIL),
            ENVKEEP_PASSPHRASE=PASSPHRASE,
        )
        assert joined.returncode == 5, joined.stderr
        assert "the server failed with an error of its own (request id" in joined.stderr
        logged = _logged(server.log, "string or blob too big")
    finally:
        server.stop()
    assert "INSERT INTO principals" in logged  # the traceback is there, with its statement
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged
    assert "[parameters:" not in logged
    assert PLANTED_EMAIL not in logged
    assert PASSPHRASE not in logged


def _logged(log: Path, text: str) -> str:
    """The log once ``text`` is in it (a line is written at the end of its loop's turn)."""
    deadline = time.monotonic() + 10
    while text not in (found := log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found
