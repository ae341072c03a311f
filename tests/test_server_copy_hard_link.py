"""`envkeep server copy` onto its own SQLite file reached through a hard link (another name for
the same inode, which resolving the path does not reveal) is refused as the database being
copied: it said 'an envkeep server serves the target' (the copy's own flock on the source),
sending the operator to look for a server that is not there."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from envkeep.api import serve
from envkeep.api.server_copies import copy_server
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path


def test_the_source_file_under_a_hard_link_is_refused_as_the_database_being_copied(
    tmp_path: Path,
) -> None:
    source = tmp_path / "server.db"
    serve.migrate(f"sqlite:///{source}")
    os.link(source, tmp_path / "other-name.db")

    with pytest.raises(UsageError) as refused:
        copy_server(f"sqlite:///{source}", f"sqlite:///{tmp_path}/other-name.db")

    assert refused.value.message == "--to names the database being copied"


def test_a_target_file_not_made_yet_is_not_taken_for_the_source(tmp_path: Path) -> None:
    source = tmp_path / "server.db"
    serve.migrate(f"sqlite:///{source}")

    copied = copy_server(f"sqlite:///{source}", f"sqlite:///{tmp_path}/new.db")

    assert copied.migrated
    assert (tmp_path / "new.db").exists()
