"""`envkeep project move-to URL` run again after a move that stopped between creating the
project on the server and sealing its environments' keys to the workspace's other members: the
re-run seals them, so a member whose role opens the project reads its values."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client.accounts import join
from tests.hostile_server import Handler, forward, reply, serving
from tests.repeated_work import fixture_joins

from .accounts import PASSPHRASE, settings_for
from .conftest import Envkeep, quick, quick_ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.server import TeamServer


@pytest.fixture
def cut_after_create(team_server: TeamServer) -> Iterator[tuple[str, threading.Event]]:
    """A proxy to the session's server that, while its event is set, leaves unanswered every
    request for whose keys are missing and every write of values: the server gone right after
    the project was created there, before its keys were sealed to anyone else."""
    down = threading.Event()

    def answer(handler: Handler, body: bytes) -> None:
        cut = handler.path.endswith("/keys-missing") or (
            handler.command == "POST" and handler.path.endswith("/secrets")
        )
        if down.is_set() and cut:
            handler.close_connection = True
            return
        reply(handler, *forward(team_server.url, handler, body))

    with serving(answer) as (url, _seen):
        yield url, down


def _joined(url: str, home: Path, code: str, email: str) -> None:
    home.mkdir()
    with fixture_joins():
        join(settings_for(home), url, code, email=email, passphrase=PASSPHRASE)


def test_a_rerun_of_a_move_cut_before_sealing_seals_the_keys_to_the_other_members(
    tmp_path: Path, team_server: TeamServer, cut_after_create: tuple[str, threading.Event]
) -> None:
    url, down = cut_after_create
    work = tmp_path / "work"
    work.mkdir()
    alices = f"a-{tmp_path.name}@x.io"
    _joined(url, tmp_path / "alice", team_server.invite(alices), alices)
    alice = Envkeep(tmp_path / "alice", work)
    bobs = f"b-{tmp_path.name}@x.io"
    code = quick_ok(alice, "member", "invite", bobs, "--role", "read").stdout.strip()
    _joined(url, tmp_path / "bob", code, bobs)
    bob = Envkeep(tmp_path / "bob", work)
    quick_ok(alice, "init", "shop", "--env", "dev", "--env", "prod", "--local")
    quick_ok(alice, "set", "DB_HOST=db.internal", "--env", "dev")
    quick_ok(alice, "set", "DB_HOST=db.prod", "--env", "prod")

    down.set()
    stopped = quick(alice, "project", "move-to", url)
    down.clear()
    again = quick_ok(alice, "project", "move-to", url)
    read = {env: quick(bob, "get", "DB_HOST", "--env", env, "--reveal") for env in ("dev", "prod")}

    assert stopped.code == 5, stopped.describe()
    assert "envkeep.toml is unchanged" in stopped.stderr
    assert "not sealed" not in again.stderr, again.describe()
    assert {env: (r.code, r.stdout.strip()) for env, r in read.items()} == {
        "dev": (0, "db.internal"),
        "prod": (0, "db.prod"),
    }
