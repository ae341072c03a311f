"""A name a server chose, in a warning, is shown with its escape sequences escaped: a member's
name carrying ESC sequences (retitle the terminal, erase the line, recolour) was written raw
to stderr by every warning that names members (a rotation's "not sealed to NAME")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.store.engine import open_engine
from envkeep.store.models import Principal
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HOSTILE = "dan@esc.io\x1b]0;all is well\x07\x1b[2K\r"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("escaped-names"))
    yield running
    running.stop()


def test_a_rotation_warning_shows_a_server_chosen_name_with_its_escapes_escaped(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, dan, work = tmp_path / "alice", tmp_path / "dan", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@esc.io"), "alice@esc.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "dan@esc.io", "--role", "read", "--project", "shop")
    join(server, dan, work, code.strip(), "dan@esc.io")
    _ok(alice, work, "member", "seal", "dan@esc.io")
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():  # the server renames Dan, swaps his key
        row = session.scalars(select(Principal).where(Principal.name == "dan@esc.io")).one()
        row.name = HOSTILE
        row.encryption_public = crypto.generate_keys().public().encryption
    engine.dispose()

    rotated = _cli(alice, work, "env", "rotate-key", "dev")

    assert rotated.returncode == 0, rotated.stderr
    assert "was not sealed to" in rotated.stderr
    assert "\x1b" not in rotated.stderr
    assert "\x07" not in rotated.stderr
    assert "\r" not in rotated.stderr
    assert "dan@esc.io\\x1b]0;all is well" in rotated.stderr
