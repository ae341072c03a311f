"""`envkeep server copy` onto its own SQLite file spelt another way (relative, through a
link) is refused as the same database: it was 'an envkeep server serves the target' (the
copy's own flock on the source), sending the operator to look for a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.api import serve
from envkeep.api.server_copies import copy_server
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("spelling", ["relative", "link"])
def test_the_source_file_named_another_way_is_refused_as_the_database_being_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    source = tmp_path / "server.db"
    serve.migrate(f"sqlite:///{source}")
    (tmp_path / "link.db").symlink_to(source)
    monkeypatch.chdir(tmp_path)
    target = "sqlite:///server.db" if spelling == "relative" else f"sqlite:///{tmp_path}/link.db"

    with pytest.raises(UsageError) as refused:
        copy_server(f"sqlite:///{source}", target)

    assert refused.value.message == "--to names the database being copied"
