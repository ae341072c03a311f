"""`envkeep server --log-format text`: readable lines with the JSON lines' fields (the request
id, the principal), and still nothing planted as a secret in them; a real server process."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import TeamServer, start_server
from tests.server import cli_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SECRET_NAME = "WOMBAT_LANTERN_KEY"
SECRET_VALUE = "s3cr3t-text-log-5be17a"
PASSPHRASE = "text logs keep no secrets"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("text-log"), None, "--log-format", "text")
    yield running
    running.stop()


def _used(server: TeamServer, root: Path, email: str) -> None:
    """Join as ``email``, write a secret and read it back through the real CLI."""
    home, work = root / "home", root / "work"
    work.mkdir()
    code = server.invite(email)
    _ok(home, work, "join", server.url, code, "--email", email, ENVKEEP_PASSPHRASE=PASSPHRASE)
    _ok(home, work, "init", "shop")
    _ok(home, work, "set", f"{SECRET_NAME}={SECRET_VALUE}")
    assert _ok(home, work, "get", SECRET_NAME) == f"{SECRET_VALUE}\n"


def _logged_after(server: TeamServer, text: str) -> str:
    """The server's log once ``text`` is in it: a request's line is written after its answer
    is sent, at the end of the event loop's turn."""
    deadline = time.monotonic() + 10
    while text not in (logged := server.log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return logged


def test_text_lines_carry_the_request_id_and_principal_and_no_json(
    server: TeamServer, tmp_path: Path
) -> None:
    _used(server, tmp_path, "tess@example.com")
    answer = httpx.get(f"{server.url}/healthz")
    request_id = answer.headers["x-request-id"]
    logged = _logged_after(server, f"request_id={request_id}")
    assert not [line for line in logged.splitlines() if line.startswith("{")]
    (probe,) = [line for line in logged.splitlines() if f"request_id={request_id}" in line]
    assert re.search(r"\[info\s*\] request\s.*route=/healthz.*status=200", probe), probe
    principals = re.findall(r"\] request\s.*principal=([0-9a-f-]{36})", logged)
    assert principals, "no request line names its principal"
    assert re.search(r"\[info\s*\] server_started\s.*log_format=text", logged)


def test_text_logs_hold_no_planted_secret(server: TeamServer, tmp_path: Path) -> None:
    _used(server, tmp_path, "theo@example.com")
    assert server.leaks((SECRET_NAME, SECRET_VALUE, PASSPHRASE)) == []
