"""The copy of a snapshot kept for reads offline is kept only once the read verified it: a
server (or a proxy) that forges an answer has the read refused, and the good copy kept before
it stays, so an offline `run` afterwards still gets the good values. A forged answer used to
replace the copy before anything in it was checked, so one forgery took the offline fallback
away too."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from tests.hostile_server import Handler, forward, reply, serving
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

DEV = ("--env", "dev")
PRINT_TOKEN = ("--", sys.executable, "-c", "import os; print(os.environ['TOKEN'])")


def _forged(signature: str) -> str:
    """``signature`` (base64url) with one of its characters changed."""
    changed = "B" if signature[8] == "A" else "A"
    return signature[:8] + changed + signature[9:]


def _proxy(target: str, forging: dict[str, bool]):  # type: ignore[no-untyped-def]
    """A proxy to ``target`` that, while ``forging["on"]``, alters each snapshot's signatures."""

    def answer(handler: Handler, body: bytes) -> None:
        status, headers, said = forward(target, handler, body)
        if forging["on"] and handler.path.split("?")[0].endswith("/snapshot") and status == 200:
            snapshot = json.loads(said)
            for secret in snapshot["secrets"]:
                secret["current"]["signature"] = _forged(secret["current"]["signature"])
            said = json.dumps(snapshot).encode()
        reply(handler, status, headers, said)

    return answer


def test_a_forged_snapshot_is_refused_and_the_good_copy_kept_still_serves_offline(
    tmp_path: Path,
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    server = start_server(tmp_path / "srv")
    forging = {"on": False}
    try:
        with serving(_proxy(server.url, forging)) as (proxy, _seen):
            proxied = TeamServer(proxy, server.database, server.log, server.process)
            join(proxied, home, work, server.invite("dev@kept.io"), "dev@kept.io")
            _ok(home, work, "init", "shop")
            _ok(home, work, "set", "TOKEN=good", *DEV)
            assert _cli(home, work, "run", *DEV, *PRINT_TOKEN).stdout == "good\n"  # keeps a copy
            kept = {p: p.read_bytes() for p in home.rglob("snapshots/*/*.json")}
            forging["on"] = True
            forged = _cli(home, work, "run", *DEV, *PRINT_TOKEN)
            after = {p: p.read_bytes() for p in home.rglob("snapshots/*/*.json")}
    finally:
        server.stop()
    offline = _cli(home, work, "run", *DEV, *PRINT_TOKEN)

    assert forged.returncode == 1, forged.stderr
    assert "cannot be read" in forged.stderr, forged.stderr
    assert forged.stdout == ""
    assert kept
    assert after == kept  # the forged answer replaced nothing
    assert (offline.returncode, offline.stdout) == (0, "good\n"), offline.stderr
    assert "using the copy fetched" in offline.stderr
