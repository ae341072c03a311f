"""`envkeep server copy` of a SQLite source in a directory this user cannot write, with no
``-shm`` file beside it: SQLite cannot make the one it opens a WAL file with, even read-only.
The error says so and what to do (copy the file somewhere writable, or run as the directory's
owner), not to check a host, a user and a password, which a SQLite file has none of."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from envkeep.api import serve
from tests.server import cli
from tests.unwritable import unwritable

if TYPE_CHECKING:
    from pathlib import Path


def test_a_source_whose_directory_cannot_be_written_is_refused_saying_so(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    source = kept / "source.db"
    serve.migrate(f"sqlite:///{source}")
    serve.bootstrap(f"sqlite:///{source}", "ro@copy.io")
    assert sorted(p.name for p in kept.iterdir()) == ["source.db"]  # no -wal, no -shm
    target = f"sqlite:///{tmp_path / 'target.db'}"

    with unwritable(kept):
        assert not os.access(kept, os.W_OK)
        refused = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db",
                      f"sqlite:///{source}", "--to", target)  # fmt: skip

    assert refused.returncode != 0
    said = " ".join(refused.stderr.split())
    assert f"its directory {kept} cannot be written by this user" in said
    assert "SQLite makes the database's -wal and -shm files there" in said
    assert f"copy the file somewhere this user can write (cp {source}* DIR/)" in said
    assert f"or run envkeep as the user that owns {kept}" in said
    assert "user and password" not in said
    assert not (tmp_path / "target.db").exists()

    writable = tmp_path / "writable"  # as the hint says
    writable.mkdir()
    shutil.copy(source, writable / "source.db")
    done = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db",
               f"sqlite:///{writable / 'source.db'}", "--to", target)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "copied 2 rows" in done.stderr
