"""`envkeep project move-to URL` leaves envkeep.toml alone where it changed while the values
moved (an edit, a checkout of another branch): the new text is not overwritten with the old
one plus ``server =``; a re-run, once it is checked, points it at the server."""

from __future__ import annotations

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

EDIT = "# edited while the values moved\n"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


@pytest.fixture
def editing_proxy(team_server: TeamServer, work: Path) -> Iterator[str]:
    """A proxy to the session's server that, on the first write of an environment's values,
    appends a line to the checkout's envkeep.toml (another process editing it meanwhile)."""
    edited: list[bool] = []

    def answer(handler: Handler, body: bytes) -> None:
        if handler.command == "POST" and handler.path.endswith("/secrets") and not edited:
            edited.append(True)
            toml = work / "envkeep.toml"
            toml.write_text(toml.read_text() + EDIT)
        reply(handler, *forward(team_server.url, handler, body))

    with serving(answer) as (url, _seen):
        yield url


def test_envkeep_toml_changed_during_the_move_is_left_as_edited_and_a_rerun_points_it(
    tmp_path: Path, team_server: TeamServer, work: Path, editing_proxy: str
) -> None:
    url = editing_proxy
    email = f"m-{tmp_path.name}@x.io"
    with fixture_joins():
        join(settings_for(tmp_path), url, team_server.invite(email), email=email,
             passphrase=PASSPHRASE)  # fmt: skip
    envkeep = Envkeep(tmp_path, work)
    quick_ok(envkeep, "init", "shop", "--env", "dev", "--local")
    quick_ok(envkeep, "set", "DB_HOST=db.internal", "--env", "dev")
    toml = work / "envkeep.toml"
    edited = toml.read_text() + EDIT

    refused = quick(envkeep, "project", "move-to", url)
    left = toml.read_text()
    again = quick_ok(envkeep, "project", "move-to", url)

    assert refused.code == 1, refused.describe()
    assert "envkeep.toml changed while the project moved" in refused.stderr
    assert left == edited
    assert "values written: dev 0" in again.stderr
    assert toml.read_text().endswith(EDIT)
    assert f'server = "{url}"' in toml.read_text()
