"""`envkeep project move-to URL`: a project of the embedded store moved to a real team server
in one command, its values as stored, envkeep.toml pointed at the server only once they are
all there; refused where the server's project is another; carried on after a failure midway.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client.accounts import join
from tests.hostile_server import Handler, forward, reply, serving
from tests.repeated_work import fixture_joins

from .accounts import PASSPHRASE, Accounts, settings_for
from .conftest import Envkeep, embedded_shop, quick, quick_ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.server import TeamServer

SERVICES = ("api", "worker", "web")
ENVIRONMENTS = ("dev", "prod")
CERT = "-----BEGIN CERT-----\nMIIB\nabc==\n-----END CERT-----"
COMMENT = "# the shop's configuration: see docs/quickstart.md"
# Printed by `run`: what each service sees, resolved.
NAMES = ("DB_HOST", "LOG_LEVEL", "CERT", "PORT", "DATABASE_URL", "LITERAL", "API_URL")
SHOW = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {NAMES!r}}}))"


def _local_shop(envkeep: Envkeep) -> None:
    """Project shop on the embedded store (though logged in): 3 services, dev and prod, shared
    and service values, references, a multi-line value, a value its schema refuses."""
    for service in SERVICES:
        (envkeep.cwd / "services" / service).mkdir(parents=True, exist_ok=True)
    (envkeep.cwd / "services" / "api" / ".env.example").write_text("# @type=port\nPORT=8080\n")
    quick_ok(envkeep, "init", "shop", "--env", "dev", "--env", "prod", "--local")
    toml = envkeep.cwd / "envkeep.toml"
    toml.write_text(f"{COMMENT}\n{toml.read_text()}")
    for service in SERVICES:
        quick_ok(envkeep, "service", "add", service, "--path", f"services/{service}")
    quick_ok(envkeep, "set", "DB_HOST=db.internal", "LOG_LEVEL=info", "--env", "dev")
    envkeep.ok("set", "CERT", "--env", "dev", "--service", "-", stdin=CERT)
    api = ("--env", "dev", "--service", "api")
    quick_ok(envkeep, "set", "PORT=8080", "DATABASE_URL=postgres://${DB_HOST}/shop", *api)
    quick_ok(envkeep, "set", "LITERAL=$${HOME}", *api)
    quick_ok(envkeep, "set", "API_URL=http://api:${api.PORT}", "--env", "dev", "-s", "worker")
    quick_ok(envkeep, "set", "DB_HOST=db.prod", "--env", "prod")
    quick_ok(envkeep, "set", "PORT=eighty", "--env", "prod", "-s", "api", "--no-validate")
    quick_ok(envkeep, "set", "GREETING=hello", "--env", "prod", "-s", "web")
    quick_ok(envkeep, "env", "edit", "prod", "--protect", "--description", "the live shop")


def _stored(envkeep: Envkeep, **env: str) -> dict[str, object]:
    """Every scope's values as `list --reveal --json` shows them (no version or time)."""
    found: dict[str, object] = {}
    for name in ENVIRONMENTS:
        for scope in ("-", *SERVICES):
            listed = quick_ok(
                envkeep, "list", "--env", name, "--service", scope, "--reveal", "--json", env=env
            )
            found[f"{name}/{scope}"] = [
                (v["name"], v["scope"], v["value"]) for v in json.loads(listed.stdout)
            ]
    return found


def _resolved(envkeep: Envkeep) -> dict[str, str]:
    """What `run` gives api and worker in dev, resolved."""
    seen = {}
    for service in ("api", "worker"):
        done = envkeep.ok("run", "--env", "dev", "-s", service, "--", sys.executable, "-c", SHOW)
        seen[service] = done.stdout
    return seen


@pytest.fixture
def logged_in(tmp_path: Path, team_server: TeamServer) -> Envkeep:
    """A home logged in to the session's server (a workspace of its own), no project yet."""
    home = tmp_path / "home"
    home.mkdir()
    Accounts(team_server).join(home)
    (tmp_path / "work").mkdir()
    return Envkeep(home, tmp_path / "work")


def test_move_to_copies_every_value_as_stored_and_points_envkeep_toml_at_the_server(
    logged_in: Envkeep, team_server: TeamServer
) -> None:
    _local_shop(logged_in)
    before, ran_before = _stored(logged_in), _resolved(logged_in)
    toml = logged_in.cwd / "envkeep.toml"
    old_lines = toml.read_text().splitlines()

    planned = quick_ok(logged_in, "project", "move-to", team_server.url, "--dry-run", "--json")
    plan = json.loads(planned.stdout)
    assert plan["created"] is True
    assert {e["name"]: e["scopes"] for e in plan["environments"]} == {
        "dev": {"shared": 3, "api": 3, "worker": 1},
        "prod": {"shared": 1, "api": 1, "web": 1},
    }
    assert "db.internal" not in planned.stdout  # counts, never values
    assert toml.read_text().splitlines() == old_lines

    moved = quick_ok(logged_in, "project", "move-to", team_server.url)
    assert "moved project 'shop'" in moved.stderr

    text = toml.read_text()
    assert f'server = "{team_server.url}"' in text
    assert "workspace = " in text
    assert [line for line in text.splitlines() if line in old_lines] == old_lines
    assert text.startswith(COMMENT)
    assert _stored(logged_in) == before  # now read from the server
    assert _resolved(logged_in) == ran_before
    envs = json.loads(quick_ok(logged_in, "env", "list", "--json").stdout)
    settings = {e["name"]: (e["protected"], e["description"]) for e in envs}
    assert settings == {"dev": (False, None), "prod": (True, "the live shop")}
    again = quick(logged_in, "project", "move-to", team_server.url)
    assert again.code == 2, again.describe()
    assert f"puts project 'shop' on {team_server.url} already" in again.stderr


def test_move_to_without_a_login_there_says_to_log_in_and_changes_nothing(
    tmp_path: Path,
) -> None:
    envkeep = embedded_shop(tmp_path)
    quick_ok(envkeep, "set", "A=1", "--env", "dev")
    old = (envkeep.cwd / "envkeep.toml").read_bytes()

    refused = quick(envkeep, "project", "move-to", "https://keep.example.com")

    assert refused.code == 4, refused.describe()
    assert "you are not logged in to https://keep.example.com; nothing changed" in refused.stderr
    assert "envkeep login https://keep.example.com" in refused.stderr
    assert (envkeep.cwd / "envkeep.toml").read_bytes() == old


def test_move_to_refuses_a_project_the_server_holds_other_values_of(
    logged_in: Envkeep, team_server: TeamServer, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    on_server = Envkeep(logged_in.home, elsewhere)
    quick_ok(on_server, "init", "shop", "--env", "dev", "--env", "prod")  # on the server
    quick_ok(on_server, "set", "DB_HOST=db.theirs", "--env", "dev")
    _local_shop(logged_in)
    toml = logged_in.cwd / "envkeep.toml"
    old = toml.read_bytes()

    refused = quick(logged_in, "project", "move-to", team_server.url)

    assert refused.code == 1, refused.describe()
    assert "not this store's" in refused.stderr
    assert "nothing changed" in refused.stderr
    assert toml.read_bytes() == old
    kept = quick_ok(on_server, "get", "DB_HOST", "--env", "dev", "--reveal")
    assert kept.stdout.strip() == "db.theirs"
    assert json.loads(quick_ok(on_server, "service", "list", "--json").stdout) == []


@pytest.fixture
def flaky(team_server: TeamServer) -> Iterator[tuple[str, threading.Event]]:
    """A proxy to the session's server that, while its event is set, drops every write of an
    environment's values after the first (the server gone midway), unanswered."""
    down = threading.Event()
    writes: list[str] = []

    def answer(handler: Handler, body: bytes) -> None:
        if handler.command == "POST" and handler.path.endswith("/secrets"):
            writes.append(handler.path)
            if down.is_set() and len(writes) > 1:
                handler.close_connection = True
                return
        reply(handler, *forward(team_server.url, handler, body))

    with serving(answer) as (url, _seen):
        yield url, down


def test_a_move_that_stops_midway_leaves_envkeep_toml_as_it_was_and_a_rerun_finishes_it(
    tmp_path: Path, team_server: TeamServer, flaky: tuple[str, threading.Event]
) -> None:
    url, down = flaky
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    email = f"mover-{tmp_path.name}@example.com"
    with fixture_joins():
        join(settings_for(home), url, team_server.invite(email), email=email, passphrase=PASSPHRASE)
    envkeep = Envkeep(home, work)
    _local_shop(envkeep)
    before = _stored(envkeep)
    toml = work / "envkeep.toml"
    old = toml.read_bytes()

    down.set()
    stopped = quick(envkeep, "project", "move-to", url)
    assert stopped.code == 5, stopped.describe()
    assert "envkeep.toml is unchanged" in stopped.stderr
    assert toml.read_bytes() == old
    dev = quick_ok(envkeep, "list", "--env", "dev", "--json", env={"ENVKEEP_SERVER": url})
    assert {v["name"] for v in json.loads(dev.stdout)} == {"DB_HOST", "LOG_LEVEL", "CERT"}

    down.clear()
    again = quick_ok(envkeep, "project", "move-to", url)

    assert "carry on an earlier move" in again.stderr
    assert f'server = "{url}"' in toml.read_text()
    assert _stored(envkeep) == before
