"""`session revoke` takes a whole session id however it is cased (copied from a list that
shows it in capitals, or typed so): a shortened id was lowercased, a whole one was sent as
given and the server, whose ids are lowercase, answered that no such session exists."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("revoke-case"))
    yield running
    running.stop()


def test_a_whole_session_id_in_capitals_ends_that_session(
    server: TeamServer, tmp_path: Path
) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    code = server.invite("caps@guard.io")
    _ok(home, tmp_path, "join", server.url, code, "--email", "caps@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    _ok(other, tmp_path, "login", server.url, "--email", "caps@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    sessions = json.loads(_ok(other, tmp_path, "session", "list", "--json"))
    first = next(s["id"] for s in sessions if not s["current"])

    done = _cli(other, tmp_path, "session", "revoke", first.upper())

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"session {first} ended\n"
    assert _cli(home, tmp_path, "whoami").returncode == 4
    assert _cli(other, tmp_path, "whoami").returncode == 0
