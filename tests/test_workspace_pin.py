"""A checkout's project lives in one workspace: envkeep.toml records which, so switching the
active workspace (`workspace use`) never sends a checkout's commands to another tenant's project
of the same name."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import cli_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PASSPHRASE = "alice passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("pin"))
    yield running
    running.stop()


def test_a_checkout_keeps_to_its_workspace_whichever_is_active(
    server: TeamServer, tmp_path: Path
) -> None:
    home, first, second = tmp_path / "alice", tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    code = server.invite("alice@pin.io")
    _ok(
        home,
        first,
        "join",
        server.url,
        code,
        "--email",
        "alice@pin.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )
    _ok(home, first, "init", "shop")
    pinned = tomllib.loads((first / "envkeep.toml").read_text())["workspace"]
    _ok(home, first, "set", "WHERE=first", "--env", "dev")

    _ok(home, second, "workspace", "create", "other")
    _ok(home, second, "workspace", "use", "other")
    _ok(home, second, "init", "shop")  # the same name, in the other tenant
    assert tomllib.loads((second / "envkeep.toml").read_text())["workspace"] != pinned
    _ok(home, second, "set", "WHERE=second", "--env", "dev")

    # `other` is active; the first checkout still reads and writes its own workspace's shop.
    assert _ok(home, first, "get", "WHERE", "--env", "dev") == "first\n"
    _ok(home, first, "set", "ONLY_FIRST=1", "--env", "dev")
    assert _ok(home, second, "get", "WHERE", "--env", "dev") == "second\n"
    assert _cli(home, second, "get", "ONLY_FIRST", "--env", "dev").returncode == 1


def test_init_of_a_checkout_given_a_server_by_hand_records_the_workspace_it_made_it_in(
    server: TeamServer, tmp_path: Path
) -> None:
    # docs/quickstart.md, "Moving a project to a team server": `server =` added by hand, then
    # `envkeep init` creates the project there; the file must pin its workspace as well.
    home, work, elsewhere = tmp_path / "mover", tmp_path / "moved", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    code = server.invite("mover@pin.io")
    _ok(
        home,
        work,
        "join",
        server.url,
        code,
        "--email",
        "mover@pin.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )
    (work / "envkeep.toml").write_text(
        f'project = "moved"\nserver = "{server.url}"\nenvironments = ["dev"]\n'
    )
    active = json.loads(_ok(home, elsewhere, "whoami", "--json"))["workspace_id"]
    _ok(home, work, "init")
    _ok(home, work, "set", "WHERE=moved", "--env", "dev")

    assert tomllib.loads((work / "envkeep.toml").read_text())["workspace"] == active
    _ok(home, elsewhere, "workspace", "create", "mover-other")
    _ok(home, elsewhere, "workspace", "use", "mover-other")
    assert _ok(home, work, "get", "WHERE", "--env", "dev") == "moved\n"
