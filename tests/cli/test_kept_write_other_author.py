"""A write's kept copy (`client/kept_writes.py`) where another member authored variables and
sealed the writer's share: the copy brought past the write is the one a fetch keeps."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.counted_reads import requests_sent
from tests.server import join, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.server import TeamServer


def _kept(home: Path) -> list[Any]:
    """Every snapshot kept for reads offline under ``home``."""
    return [json.loads(p.read_text())["snapshot"] for p in sorted(home.rglob("snapshots/*/*.json"))]


def test_a_member_s_write_keeps_the_copy_a_fetch_keeps_with_another_author_and_sharer(
    team_server: TeamServer,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path_factory.mktemp("authors")
    work = root / "work"
    work.mkdir()
    alice, bob = root / "alice", root / "bob"
    join(team_server, alice, work, team_server.invite("alice@authors.io"), "alice@authors.io")
    quick_ok(alice, work, "init", "shop")
    quick_ok(alice, work, "set", "DB=first", "KEEP=alice", "--env", "dev")
    code = quick_ok(
        alice, work, "member", "invite", "bob@authors.io", "--role", "write", "--project", "shop"
    )
    join(team_server, bob, work, code.strip(), "bob@authors.io")
    quick_ok(alice, work, "member", "seal", "bob@authors.io")
    quick_ok(bob, work, "validate", "--env", "dev", "--all")
    quick_ok(bob, work, "set", "FIRST=bob", "--env", "dev")  # bob no author yet: fetched
    sent = requests_sent(monkeypatch)

    quick_ok(bob, work, "set", "DB=second", "NEW=2", "--env", "dev")
    assert sent[-1] == "POST secrets", sent  # kept from the answer, not read again
    (patched,) = _kept(bob)
    quick_ok(bob, work, "validate", "--env", "dev", "--all")  # a fetch, kept in its place
    (fetched,) = _kept(bob)

    assert [a["id"] for a in patched["authors"]] == [a["id"] for a in fetched["authors"]]
    assert len(patched["authors"]) == 2
    assert patched == fetched
