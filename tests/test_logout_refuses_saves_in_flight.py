"""`logout` deletes the copies kept for reads offline. A read whose request went out before the
logout, and whose save takes the copies' lock after it, wrote its copy back: the account's
values kept on a machine it logged out of. The logout now records its time as a refusal of
every copy (`SnapshotCache.forget_everything`), so such a save drops its answer; a read asked
for after the next login keeps its copy again."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from envkeep.client.offline import SnapshotCache
from tests.server import join, start_server
from tests.server import quick_ok as _ok
from tests.test_offline_copy_order import ENV, _snapshot

if TYPE_CHECKING:
    from pathlib import Path


def test_a_read_sent_before_logout_and_saved_after_it_keeps_no_copy(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@out.io"), "alice@out.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=dev-db", "--env", "dev")
        _ok(alice, work, "get", "DB", "--env", "dev")  # keeps a copy
        [snapshots] = list(alice.glob("servers/*/snapshots"))
        assert any(snapshots.glob("*/*.json"))
        sent_at = time.time()  # another command's read goes out, and is answered
        _ok(alice, work, "logout", "--yes")
    finally:
        server.stop()
    assert not any(snapshots.glob("*/*.json"))

    late = SnapshotCache(snapshots)  # that command's save, after the logout
    late.save(ENV, None, _snapshot(5, []), sent_at=sent_at)

    assert not late.holds_copies(ENV)
    late.save(ENV, None, _snapshot(6, []), sent_at=time.time())  # asked for after: kept
    assert late.whole_copy(ENV)["environment"]["revision"] == 6


def test_the_refusals_recorded_name_no_project_or_environment(tmp_path: Path) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    cache.forget(ENV)
    cache.forget_project("ws", "shop")
    record = tmp_path / "snapshots.refused_at"
    assert record.stat().st_size > 0
    assert "shop" not in record.read_text()  # digests: the file outlives the copies

    cache.forget_everything()  # a logout: its one record orders every save the others did
    sent_at = time.time() - 1
    cache.save(ENV, None, _snapshot(5, []), sent_at=sent_at)
    assert not cache.holds_copies(ENV)
    assert len(record.read_text().split(":")) == 2  # one scope recorded
