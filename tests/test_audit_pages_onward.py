"""A server that answers every page of the audit trail with the same events, saying more are
to come, held `audit export` in a loop writing them without end (a disk filled by one
command); a page that does not end after the one before is refused as no envkeep answer."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.hostile_server import Handler, forward, reply, serving
from tests.server import ENVKEEP, TeamServer, _environ, join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("audit-onward"))
    yield running
    running.stop()


def _first_page_always(target: str):  # type: ignore[no-untyped-def]
    """A proxy to ``target`` that answers every audit page as the first, with more to come."""

    def answer(handler: Handler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        if not parts.path.endswith("/audit"):
            reply(handler, *forward(target, handler, body))
            return
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "after"]
        handler.path = f"{parts.path}?{urlencode(query)}"
        status, headers, said = forward(target, handler, body)
        page = json.loads(said)
        page["next_after"] = page["events"][-1]["seq"]
        reply(handler, status, headers, json.dumps(page).encode())

    return answer


def test_an_audit_export_whose_pages_do_not_move_on_is_refused_not_looped(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    with serving(_first_page_always(server.url)) as (proxy, _seen):
        looped = TeamServer(proxy, server.database, server.log, server.process)
        join(looped, alice, work, server.invite("alice@audit.io"), "alice@audit.io")
        _ok(alice, work, "init", "shop")
        exported = subprocess.run(
            [*ENVKEEP, "audit", "export", "-o", str(tmp_path / "audit.jsonl")],
            env=_environ(alice),
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert exported.returncode == 5, exported.stderr
    assert "with a page ending at" in exported.stderr
    assert "not after it, as no envkeep server does" in exported.stderr
