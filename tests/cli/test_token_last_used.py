"""`token list` shows when each token was last used, with the real CLI against a real team
server on SQLite and PostgreSQL: a CI job's read with ENVKEEP_TOKEN marks its token used, one
never used since shows none, and a revoked or rotated-out token keeps the last use it had;
--json carries ``last_used_at``, and the OpenAPI document describes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from envkeep.api.app import create_app
from envkeep.cli.token_cmds import _row
from envkeep.client.token_keys import parse_token
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from envkeep.store.models import SessionToken
from tests.server import TeamServer, server_per_database
from tests.server import cli as _cli
from tests.test_token_lifecycle import Team

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = datetime(2026, 12, 4, 16, 40, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "token-last-used")


def _set_use(server: TeamServer, token: str, moment: datetime) -> None:
    """Store ``moment`` as the token's last use, in the server's database."""
    engine = open_engine(server.database)
    try:
        with engine.begin() as connection:
            row = SessionToken.principal_id == parse_token(token).principal_id
            connection.execute(update(SessionToken).where(row).values(last_used_at=moment))
    finally:
        engine.dispose()


def _cells(table: str) -> dict[str, list[str]]:
    """The table's rows by token name, cells split where the columns are."""
    header, *lines = table.splitlines()
    rows = [re.split(r"\s{2,}", line.strip()) for line in [header, *lines]]
    return {row[0]: row for row in rows}


def test_a_token_used_by_a_ci_job_shows_its_use_one_unused_none_an_ended_keeps_it(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "lastuse", "read", "--project", "shop", "--env", "dev")
    team.a("set", "API_KEY=v1", "--env", "dev")
    scope = ("--project", "shop", "--env", "dev")
    used = team.a("token", "create", "ci-used", *scope).strip()
    team.a("token", "create", "ci-idle", *scope)
    old = team.a("token", "create", "ci-old", *scope).strip()
    three_hours_ago = (datetime.now(UTC) - timedelta(hours=3, minutes=1)).replace(microsecond=0)
    _set_use(server, old, three_hours_ago)
    team.a("token", "revoke", "ci-old", "--yes")

    code, out, err = team.token(used, "get", "API_KEY", "--env", "dev")
    shown = _cli(team.alice, team.work, "token", "list")
    listed = team.listed()

    assert (code, out) == (0, "v1\n"), err
    assert shown.returncode == 0, shown.stderr
    cells = _cells(shown.stdout)
    header = cells["TOKEN"]
    used_at = header.index("LAST USED")
    assert header[used_at - 1 : used_at + 2] == ["CREATED", "LAST USED", "EXPIRES"]
    assert cells["ci-used"][used_at] == "< 5m ago", shown.stdout
    assert cells["ci-idle"][used_at] == "-", shown.stdout
    assert cells["ci-old"][used_at] == "3h ago", shown.stdout
    assert cells["ci-old"][-1] == "revoked"
    stamp = str(listed["ci-used"][0]["last_used_at"])
    assert stamp.endswith("Z"), stamp  # as every --json time
    assert datetime.now(UTC) - datetime.fromisoformat(stamp) < timedelta(minutes=1)
    assert listed["ci-idle"][0]["last_used_at"] is None
    assert listed["ci-old"][0]["revoked"] is True
    assert datetime.fromisoformat(str(listed["ci-old"][0]["last_used_at"])) == three_hours_ago

    team.a("token", "rotate", "ci-used")
    history = team.listed()["ci-used"]

    assert [(r["ended"], r["last_used_at"]) for r in history] == [
        ("rotated out", stamp),
        (None, None),
    ]


def _listed(**fields: Any) -> dict[str, Any]:
    """A row of `token list --json`, from a server that says ``fields``."""
    row = {
        "principal": {"id": "a"},
        "label": "ci",
        "role": "read",
        "project": "shop",
        "environment": None,
        "created_by": "alice@x.io",
        "created_at": "2026-10-01T09:00:00+00:00",
        "expires_at": None,
        "revoked": False,
    }
    return row | fields


def test_a_rows_last_use_is_worded_as_in_session_list_and_a_dash_where_unrecorded() -> None:
    used_at = 5  # TOKEN ROLE SCOPE CREATED-BY CREATED, then LAST USED

    assert _row(_listed(last_used_at="2026-12-04T16:28:00+00:00"), NOW)[used_at] == "12m ago"
    assert _row(_listed(last_used_at="2026-12-04T16:38:00Z"), NOW)[used_at] == "< 5m ago"
    assert _row(_listed(last_used_at="2026-11-24T16:40:00Z"), NOW)[used_at] == "10d ago"
    assert _row(_listed(last_used_at=None), NOW)[used_at] == "-"
    assert _row(_listed(), NOW)[used_at] == "-"  # an older server does not say
    ended = _listed(last_used_at="2026-12-04T13:40:00Z", revoked=True, ended="revoked")
    assert _row(ended, NOW)[used_at] == "3h ago"


def test_the_openapi_document_gives_a_listed_token_its_last_use_as_a_time_or_null(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "server.db")
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    with TestClient(create_app(url)) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()

    info = document["components"]["schemas"]["TokenInfo"]["properties"]["last_used_at"]
    assert info["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert "last_used_at" not in document["components"]["schemas"]["TokenInfo"]["required"]
