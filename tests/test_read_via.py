"""A read event says which command read (``via``): the client sends its command in
``Envkeep-Command`` and the server records it with the read, so an admin's `service add` or
`member grant`, which read every environment they seal or check, is not taken for someone
reading prod. The header is the client's word: only the name of one of envkeep's commands is
taken, anything else is no command. The hot snapshot route and FastAPI's record it alike."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.api.client_command import COMMANDS, client_command
from envkeep.store.models import AuditEvent
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.test_hot_routes import _fastapi_only, _join

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine


@pytest.mark.parametrize(
    ("sent", "taken"),
    [
        ("get", "get"),
        ("service add", "service add"),
        ("audit export", "audit export"),
        (None, None),
        ("", None),
        ("Get", None),
        ("get\nsecret=1", None),
        ("get  twice", None),
        (" get", None),
        ("hunter2 prod db-pass", None),  # lowercase words, but no envkeep command
        ("member verify-all", None),
        ("get=SECRET", None),
    ],
)
def test_only_the_name_of_an_envkeep_command_is_taken(sent: str | None, taken: str | None) -> None:
    assert client_command(sent) == taken


def test_the_server_knows_every_command_the_cli_names() -> None:
    from envkeep.cli.app import build_app

    app = build_app(None)
    named = {c.name for c in app.registered_commands}
    for group in app.registered_groups:
        assert group.typer_instance is not None
        named.add(group.name)
        named |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    assert named == COMMANDS


def _read_events(engine: Engine) -> list[dict[str, object]]:
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "secrets.read").order_by(AuditEvent.seq)
        )
        return [json.loads(row.details) for row in rows]


@pytest.mark.parametrize("hot", [True, False], ids=["hot route", "fastapi"])
def test_a_snapshot_read_records_the_command_its_client_names(
    engine: Engine, database: str, hot: bool
) -> None:
    app = create_app(database, rate=0) if hot else _fastapi_only(database)
    with TestClient(app) as client:
        admin = _join(client, engine, "admin@example.com")
        client.headers["Authorization"] = f"Bearer {admin['token']}"
        workspace = admin["workspace_id"]
        env = {"id": "e" * 32, "name": "dev", "sealed_share": _key()}
        made = client.post(
            f"/v1/workspaces/{workspace}/projects", json={"name": "shop", "environments": [env]}
        )
        assert made.status_code == 201, made.text
        snapshot = f"/v1/workspaces/{workspace}/projects/shop/environments/dev/snapshot"
        for sent in ("service add", None, "not a command"):
            headers = {} if sent is None else {"Envkeep-Command": sent}
            assert client.get(snapshot, headers=headers).status_code == 200

    vias = [event.get("via") for event in _read_events(engine)]
    assert vias == ["service add", None, None]


def _key() -> str:
    from tests.authz_support import KEY

    return KEY


# --- The CLI names its command, and `audit` shows it -------------------------------------------


@pytest.fixture(scope="module", params=["sqlite"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "read-via")


def test_an_admins_commands_are_named_with_the_reads_they_make(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@via.io"), "alice@via.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=prod-db", "--env", "prod")
    _ok(alice, work, "service", "add", "billing")
    _ok(alice, work, "get", "DB", "--env", "prod")

    shown = _cli(alice, work, "audit", "--action", "secrets.read", "--env", "prod")
    listed = json.loads(
        _ok(alice, work, "audit", "--action", "secrets.read", "--env", "prod", "--json")
    )

    assert shown.returncode == 0, shown.stderr
    assert "secrets.read (service add)" in shown.stdout
    assert "secrets.read (get)" in shown.stdout
    vias = [event["via"] for event in listed]
    assert vias[-2:] == ["service add", "get"]
    assert [json.loads(event["details"])["via"] for event in listed][-2:] == vias[-2:]
    verified = _cli(alice, work, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["get", "DB"], "get"),
        (["--debug", "service", "add", "billing"], "service add"),
        (["member", "grant", "bob@x.io", "read"], "member grant"),
        (["audit", "--env", "prod"], "audit"),  # an option's value is no subcommand
        (["audit", "verify"], "audit verify"),
        (["member"], "member"),
        (["run", "--", "env"], "run"),
        (["--help"], None),
        (["--version"], None),
        (["no-such-command"], None),
    ],
)
def test_the_command_sent_is_its_name_and_a_groups_subcommand_never_an_argument(
    args: list[str], words: str | None
) -> None:
    from envkeep.cli.app import build_app, command_words_of
    from envkeep.cli.command_line import command_of

    assert command_words_of(build_app(command_of(args)), args) == words
