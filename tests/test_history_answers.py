"""A server that answers a variable's history with another variable's versions (genuine,
signed, of the same environment) is caught: `history` shows none of them and `rollback --to`
writes nothing, where each version would have opened and verified as the variable it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.client.http import HttpBackend
from envkeep.store.engine import open_engine
from envkeep.store.models import Environment, Secret
from tests.inprocess import run_main
from tests.server import _environ, join, quick_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_versions_of_another_variable_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(tmp_path / "server")
    try:
        work, alice = tmp_path / "work", tmp_path / "alice"
        work.mkdir()
        join(server, alice, work, server.invite("alice@history.io"), "alice@history.io")
        quick_ok(alice, work, "init", "shop")
        for value in ("API_KEY=api-v1", "API_KEY=api-v2", "DB_PASSWORD=db-v1", "DB_PASSWORD=db-v2"):
            quick_ok(alice, work, "set", value, "--env", "dev")
        engine = open_engine(server.database)
        with Session(engine) as session:
            dev = session.scalars(select(Environment).where(Environment.name == "dev")).one()
            ids = list(session.scalars(select(Secret.id).where(Secret.environment_id == dev.id)))
        engine.dispose()
        other = {ids[0]: ids[1], ids[1]: ids[0]}
        honest = HttpBackend.secret_history

        def swapped(self: HttpBackend, project: str, environment: str, secret_id: str):  # type: ignore[no-untyped-def]
            return honest(self, project, environment, other[secret_id])

        monkeypatch.setattr(HttpBackend, "secret_history", swapped)
        shown = run_main(("history", "API_KEY", "--env", "dev", "--reveal"), _environ(alice), work)
        rolled = run_main(
            ("rollback", "API_KEY", "--env", "dev", "--to", "1"), _environ(alice), work
        )
        monkeypatch.setattr(HttpBackend, "secret_history", honest)

        for code, out, err in (shown, rolled):
            assert code == 1, err
            assert "not its own" in err
            assert "db-v" not in out + err
        assert quick_ok(alice, work, "get", "API_KEY", "--env", "dev") == "api-v2\n"
        assert "api-v1" in quick_ok(alice, work, "history", "API_KEY", "--env", "dev", "--reveal")
    finally:
        server.stop()
