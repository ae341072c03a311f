"""A failed `envkeep server copy` says what it left: the target migrated (or as it was) and
empty, which the next run takes. A source whose audit trail is already broken is named as
the source's fault, with what to do; a trail the copy itself broke is told apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from envkeep.api.server_copies import copy_server
from envkeep.core.errors import StoreError
from envkeep.store import server_copy
from envkeep.store.schema_version import HEAD_REVISION
from envkeep.store.server_copy import REPLACED
from tests.server import cli
from tests.test_server_copy_refusals import _rows, _team_database


@pytest.fixture(scope="module")
def team_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = _team_database(tmp_path_factory.mktemp("trail-source"))
    return Path(database.removeprefix("sqlite:///"))


def _broken_copy_of(team_file: Path, where: Path) -> str:
    """A copy of the team's database whose trail breaks at event 2 (its action edited)."""
    where.write_bytes(sqlite3.connect(team_file).serialize())
    with sqlite3.connect(where) as edit:
        edit.execute("UPDATE audit_events SET action = 'secret.read' WHERE seq = 2")
    edit.close()
    return f"sqlite:///{where}"


def test_a_source_trail_broken_already_is_named_and_the_target_left_migrated_and_empty(
    tmp_path: Path, team_file: Path
) -> None:
    source = _broken_copy_of(team_file, tmp_path / "broken.db")
    target = f"sqlite:///{tmp_path / 'target.db'}"

    first = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", source, "--to", target)
    again = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", source, "--to", target)

    assert first.returncode == 1, first.stderr
    assert "error: the source's audit trail of workspace " in first.stderr
    assert "already breaks at event 2" in first.stderr
    assert "nothing was written" in first.stderr
    assert "hint: see the break with envkeep audit verify" in first.stderr
    assert "copy a backup made before it" in first.stderr
    left = f"the target {target} is left migrated to schema {HEAD_REVISION} by this copy"
    assert left in " ".join(first.stderr.split())
    assert "server copy takes it again as it is" in " ".join(first.stderr.split())
    assert again.returncode == 1, again.stderr
    assert f"the target {target} is left at the schema, without data" in " ".join(
        again.stderr.split()
    )
    rows = _rows(target)
    assert {name: n for name, n in rows.items() if name not in REPLACED} == {
        name: 0 for name in rows if name not in REPLACED
    }


def test_a_trail_the_copy_broke_is_not_blamed_on_the_source(
    tmp_path: Path, team_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = f"sqlite:///{team_file}"
    portable = server_copy._portable

    def altered(row: Any, instants: list[str]) -> dict[str, Any]:
        copied = portable(row, instants)
        if copied.get("seq") == 2 and "action" in copied:
            copied["action"] = "secret.read"
        return copied

    monkeypatch.setattr(server_copy, "_portable", altered)
    with pytest.raises(StoreError) as failed:
        copy_server(source, f"sqlite:///{tmp_path / 'target.db'}")

    assert " breaks at event 2, though the source's holds there" in failed.value.message
    assert failed.value.message.startswith("the copy's audit trail of workspace ")
    assert failed.value.hint is not None
    assert "the source is unchanged" in failed.value.hint
    assert "is left migrated to schema" in failed.value.hint
