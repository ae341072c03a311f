"""A service name mistyped against a team server (`get X --service apx`) is answered "not
found" and nothing more: the copies kept of the environment for reads offline still serve the
real service once the server is out of reach. A refusal of the environment itself deletes them
(`snapshot_reads`); a name the server does not know is no refusal. On a real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

API = ("--env", "dev", "--service", "api")


def test_a_mistyped_service_keeps_the_copies_kept_for_reads_offline(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "services" / "api").mkdir(parents=True)
    server = start_server(tmp_path / "srv")
    try:
        join(server, home, work, server.invite("ops@typo.io"), "ops@typo.io")
        _ok(home, work, "init", "shop")
        _ok(home, work, "service", "add", "api", "--path", "services/api")
        _ok(home, work, "set", "PORT=8080", *API)
        assert _ok(home, work, "get", "PORT", *API) == "8080\n"  # keeps a copy
        kept = sorted(p.name for p in home.rglob("snapshots/*/*") if p.is_file())
        assert kept, "a read against the server keeps a copy for reads offline"

        typo = _cli(home, work, "get", "PORT", "--env", "dev", "--service", "apx")
        assert typo.returncode != 0
        assert "apx" in typo.stderr
        after = {p.name for p in home.rglob("snapshots/*/*") if p.is_file()}
        assert set(kept) <= after, "the mistyped name deleted the copies kept of dev"
    finally:
        server.stop()

    offline = _cli(home, work, "get", "PORT", *API)
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == "8080\n"
    assert "server unreachable" in offline.stderr
