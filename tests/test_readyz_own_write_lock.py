"""/readyz gives up on a SQLite file's write lock after 2.4 s (`routes_ops.READY_LOCK_SHARE`).
A long write of the server's own (a large import, a key rotation) holding it that long was
answered as if another process held the file, and the outage's log line said to stop that
process. Now a lock one of the server's own connections holds is named as its own write's,
and only a lock held elsewhere keeps the words about another process. A real SQLite file and
the real app, its own engine holding the lock as a request's write would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import text
from structlog.testing import capture_logs

from envkeep.api.app import create_app
from envkeep.api.outage_log import OWN_WRITE_HELD
from envkeep.api.routes_ops import LOCKED_HINT, OWN_WRITE_HINT
from envkeep.api.serve import migrate
from envkeep.api.sqlite_unopened import HELD_LOCKED
from envkeep.store.engine import open_engine

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine


def _readyz_while_held(tmp_path: Path, *, own: bool) -> tuple[dict[str, str], list[str]]:
    """/readyz's answer, and the outage lines' hints, while a write transaction is open on the
    server's own engine (``own``) or on another engine of the file."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    app = create_app(url)
    other = open_engine(url)
    try:
        with TestClient(app) as api, capture_logs() as logged:
            engine: Engine = app.state.envkeep.engine if own else other
            with engine.connect() as holder, holder.begin():  # BEGIN IMMEDIATE: the lock
                holder.execute(text("UPDATE alembic_version SET version_num = version_num"))
                answer = api.get("/readyz")
            assert api.get("/readyz").status_code == 200  # the lock gone, ready again
    finally:
        other.dispose()
    assert answer.status_code == 503, answer.text
    hints = [line.get("hint", "") for line in logged if line["event"] == "database unavailable"]
    return answer.json(), hints


def test_a_lock_the_servers_own_write_holds_is_named_as_its_own(tmp_path: Path) -> None:
    answer, hints = _readyz_while_held(tmp_path, own=True)

    assert (answer["title"], answer["hint"]) == (
        "the database is locked by this server's own write",
        OWN_WRITE_HINT,
    )
    assert hints == [OWN_WRITE_HELD]
    assert "another process" not in OWN_WRITE_HELD + OWN_WRITE_HINT


def test_a_lock_held_elsewhere_is_still_named_as_another_process(tmp_path: Path) -> None:
    answer, hints = _readyz_while_held(tmp_path, own=False)

    assert (answer["title"], answer["hint"]) == ("the database is locked", LOCKED_HINT)
    assert hints == [HELD_LOCKED]
