"""A database's schema told against this code's: current, behind (migrate it) or ahead (a
newer envkeep migrated it). /readyz says which; revisions stay numbered so that it can."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
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
