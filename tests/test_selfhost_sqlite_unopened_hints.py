"""A SQLite file that cannot be opened gets a hint that fits what SQLite said: a file that is
no database (or whose header is damaged) was "a bug in envkeep" (SQLite's DatabaseError went
untold), and a locked one was told to check that this user could read it; only "unable to
open database file" is about the path or permissions. The real CLI, on real files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.api import serve
from envkeep.api.sqlite_unopened import sqlite_unopened
from tests.server import cli

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

GIVEN = "--db"


def _said(refused: subprocess.CompletedProcess[str]) -> str:
    return " ".join(refused.stderr.split())


def test_a_file_that_is_no_database_is_named_so_not_as_a_bug_or_a_permission(
    tmp_path: Path,
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(bytes(range(256)) * 16)

    refused = cli(tmp_path / "ops", tmp_path, "server", "migrate", "--db", f"sqlite:///{junk}")

    assert refused.returncode != 0
    said = _said(refused)
    assert "file is not a database" in said
    assert "names envkeep's database file" in said
    assert "bug in envkeep" not in said
    assert "this user can read it" not in said


def test_a_database_whose_header_is_damaged_is_refused_with_a_restore_hint(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source.db"
    serve.migrate(f"sqlite:///{source}")
    with source.open("r+b") as file:
        file.write(b"\x00" * 16)  # "SQLite format 3\0" gone
    target = f"sqlite:///{tmp_path / 'target.db'}"

    refused = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", f"sqlite:///{source}",
                  "--to", target)  # fmt: skip

    assert refused.returncode != 0
    said = _said(refused)
    assert "file is not a database" in said
    assert "restore it from a backup" in said
    assert "this user can read it" not in said


@pytest.mark.parametrize(
    ("sqlite_said", "hinted", "not_hinted"),
    [
        ("database is locked", "another process holds it locked", "can read it"),
        ("disk I/O error", "check --db and the file", "can read it"),
        ("file is not a database", "names envkeep's database file", "can read it"),
        ("unable to open database file", "that this user can read it", "locked"),
    ],
)
def test_the_hint_follows_what_sqlite_said(
    tmp_path: Path, sqlite_said: str, hinted: str, not_hinted: str
) -> None:
    found = sqlite_unopened(f"sqlite:///{tmp_path / 'envkeep.db'}", GIVEN, sqlite_said)

    assert found is not None
    assert hinted in found.hint
    assert not_hinted not in found.hint
