"""A key version is pinned only once the reader's share of it opened: an answer naming a
made-up key version, with a share of it for the reader that does not open (anyone can write a
row; only the sharer can sign one), pinned it all the same, and every true answer after it was
refused as rolled back ("a restore of the server's database from a backup") until env trust."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from envkeep.store.engine import open_engine
from envkeep.store.models import DataKeyShare, Environment, Project
from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


def _served_key_version(database: str, home: Path, key_version: int) -> None:
    """shop/dev of ``home``'s workspace answered under ``key_version``, with its reader's
    share (sealed for key v1) listed as a share of that key version."""
    engine = open_engine(database)
    with Session(engine) as session, session.begin():
        workspace = json.loads((home / "session.json").read_text())["workspace_id"]
        env_id = session.scalars(
            select(Environment.id)
            .join(Project, Project.id == Environment.project_id)
            .where(Project.workspace_id == workspace, Environment.name == "dev")
        ).one()
        session.execute(
            update(DataKeyShare)
            .where(DataKeyShare.environment_id == env_id)
            .values(key_version=key_version)
        )
        session.execute(
            update(Environment)
            .where(Environment.id == env_id)
            .values(key_version=key_version, revision=Environment.revision + 1)
        )
    engine.dispose()


def test_a_key_version_whose_share_does_not_open_is_not_pinned(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server")
    try:
        alice, work = tmp_path / "alice", tmp_path / "work"
        work.mkdir()
        join(server, alice, work, server.invite("alice@pins.io"), "alice@pins.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "PAYMENT_KEY=sk_live", "--env", "dev")
        _served_key_version(server.database, alice, 50)

        refused = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")
        assert refused.returncode != 0
        assert "sk_live" not in refused.stdout

        _served_key_version(server.database, alice, 1)  # the true answer again
        read = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")
        assert read.returncode == 0, read.stderr
        assert read.stdout == "sk_live\n"
        pins = json.loads((alice / "known_key_versions.json").read_text())
        assert list(pins.values()) == [1]
    finally:
        server.stop()
