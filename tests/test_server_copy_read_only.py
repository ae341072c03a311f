"""`envkeep server copy` only reads its source: a SQLite file this user cannot write (a
backup kept read-only, an immutable file, another owner's) is copied, opened ``mode=ro``,
and left as it was. It was refused as a server's database would be ('cannot be written')."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import exc, func, select, text

from envkeep.api import serve
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite
from tests.server import cli
from tests.unwritable import unwritable

if TYPE_CHECKING:
    from pathlib import Path


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "source.db"
    serve.migrate(f"sqlite:///{path}")
    serve.bootstrap(f"sqlite:///{path}", "ro@copy.io")
    return path


def test_a_source_file_this_user_cannot_write_is_copied_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    source = _source(tmp_path)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    target = f"sqlite:///{tmp_path / 'target.db'}"
    with unwritable(source):
        assert not os.access(source, os.W_OK)
        done = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", f"sqlite:///{source}",
                   "--to", target)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "copied 2 rows" in done.stderr
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    engine = open_engine(target)
    try:
        with engine.connect() as connection:
            invites = connection.execute(select(func.count()).select_from(Invite)).scalar()
    finally:
        engine.dispose()
    assert invites == 1


def test_a_read_only_engine_refuses_writes_and_makes_no_missing_file(tmp_path: Path) -> None:
    """Root may write any file: ``mode=ro`` is what keeps the copy from writing its source."""
    source = _source(tmp_path)
    engine = open_engine(f"sqlite:///{source}", read_only=True)
    missing = open_engine(f"sqlite:///{tmp_path / 'missing.db'}", read_only=True)
    try:
        with engine.begin() as connection:
            assert connection.execute(select(func.count()).select_from(Invite)).scalar() == 1
            with pytest.raises(exc.OperationalError, match="readonly database"):
                connection.execute(text("DELETE FROM invites"))
        with pytest.raises(exc.OperationalError), missing.connect():
            pass
    finally:
        engine.dispose()
        missing.dispose()
    assert not (tmp_path / "missing.db").exists()
