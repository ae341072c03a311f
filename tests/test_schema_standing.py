"""A database's schema told against this code's: current, behind (migrate it) or ahead (a
newer envkeep migrated it). /readyz says which; revisions stay numbered so that it can."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
from envkeep.api.routes_ops import Readiness
from envkeep.store.migrate import _config
from envkeep.store.schema_version import HEAD_REVISION, schema_state

if TYPE_CHECKING:
    from sqlalchemy import Engine


def test_revisions_are_numbered_in_order_so_ahead_and_behind_can_be_told() -> None:
    scripts = ScriptDirectory.from_config(_config())
    oldest_first = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert oldest_first == [f"{n:04d}" for n in range(1, len(oldest_first) + 1)]
    assert oldest_first[-1] == HEAD_REVISION


@pytest.mark.parametrize(
    ("revision", "standing"),
    [
        (HEAD_REVISION, "current"),
        (None, "behind"),
        ("0001", "behind"),
        (f"{int(HEAD_REVISION) - 1:04d}", "behind"),
        (f"{int(HEAD_REVISION) + 1:04d}", "ahead"),
        ("ae1f3c2b9d10", "ahead"),  # not one of ours: another build's
    ],
)
def test_a_revision_stands_current_behind_or_ahead(revision: str | None, standing: str) -> None:
    assert schema_state(revision) == standing


def _set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


@pytest.mark.parametrize(
    ("revision", "says"),
    [
        (f"{int(HEAD_REVISION) - 1:04d}", "the database schema is behind"),
        (
            f"{int(HEAD_REVISION) + 1:04d}",
            "the database schema is ahead: a newer envkeep migrated it",
        ),
    ],
    ids=["behind", "ahead"],
)
def test_readyz_says_whether_the_schema_is_behind_or_ahead(
    engine: Engine, database: str, revision: str, says: str
) -> None:
    with TestClient(create_app(database)) as client:
        assert client.get("/readyz").status_code == 200
        _set_revision(engine, revision)
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["title"] == says
    assert ("server migrate" in answer.json()["hint"]) == ("behind" in says)


def test_readiness_runs_one_database_check_at_a_time_and_never_answers_from_before() -> None:
    """/readyz needs no token and spends no rate budget: requests that come while a check
    runs share the next one (a flood is one connection at a time), and none gets an answer
    from a check that started before it came."""
    calls: list[float] = []

    def probe() -> str:
        calls.append(time.monotonic())
        time.sleep(0.05)
        return HEAD_REVISION

    async def flood() -> list[str | Exception | None]:
        checks = Readiness()
        together = await asyncio.gather(*(checks.revision(probe) for _ in range(30)))
        during = len(calls)
        one_after_another = [await checks.revision(probe) for _ in range(3)]
        assert len(calls) == during + 3  # each later request gets a check of its own
        return [*together, *one_after_another]

    answers = asyncio.run(flood())

    assert answers == [HEAD_REVISION] * 33
    assert len(calls) <= 2 + 3  # the first check, and at most one for all that came during it
