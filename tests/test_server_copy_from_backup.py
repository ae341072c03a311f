"""`envkeep server copy` takes a file `envkeep server backup` made (the way to PostgreSQL from a
backup, and what a source with a broken trail is told to copy instead): the backup is in
SQLite's rollback-journal mode, and the read-only source's `PRAGMA journal_mode=WAL` (a write
of its header) failed every such copy with 'attempt to write a readonly database'. The
backup is left as it was."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from envkeep.api import serve
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def test_a_backup_made_by_server_backup_is_copied_and_left_as_it_was(tmp_path: Path) -> None:
    source = tmp_path / "server.db"
    serve.migrate(f"sqlite:///{source}")
    serve.bootstrap(f"sqlite:///{source}", "ops@backup.io")
    backup = tmp_path / "backup.db"
    made = cli(tmp_path / "ops", tmp_path, "server", "backup", "--db", f"sqlite:///{source}",
               str(backup))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert backup.read_bytes()[18:20] == b"\x01\x01"  # rollback journal, not WAL
    before = hashlib.sha256(backup.read_bytes()).hexdigest()

    done = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", f"sqlite:///{backup}",
               "--to", f"sqlite:///{tmp_path / 'target.db'}")  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "copied 2 rows" in done.stderr
    assert hashlib.sha256(backup.read_bytes()).hexdigest() == before
    assert not (tmp_path / "backup.db-wal").exists()
