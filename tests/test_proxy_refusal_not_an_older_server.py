"""A proxy in front of a real team server that refuses one route with its own 403 (JSON, not
envkeep's problem+json) is said as that refusal: the client's ways around a server older than
a route (no pending invites listed, a reset's check skipped) are taken only for an answer that
says the route is missing (404, 405, 501), never for an auth proxy's 401 or 403."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.hostile_server import Handler, forward, reply, serving
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.hostile_server import Answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("proxied"))
    yield running
    running.stop()


Refusal = Callable[[str, str], tuple[int, str, bytes] | None]


def _proxy(target: str, refusing: list[Refusal]) -> Answer:
    """Forwards each request to ``target`` but those the last of ``refusing`` answers itself."""

    def answer(handler: Handler, body: bytes) -> None:
        own = refusing[-1](handler.command, handler.path) if refusing else None
        if own is not None:
            status, kind, text = own
            reply(handler, status, [("Content-Type", kind)], text)
            return
        status, headers, content = forward(target, handler, body)
        reply(handler, status, headers, content)

    return answer


def _invites_refused(method: str, path: str) -> tuple[int, str, bytes] | None:
    if method == "GET" and path.endswith("/invites"):
        return 403, "application/json", b'{"message": "Forbidden by policy"}'
    return None


def _invites_missing(method: str, path: str) -> tuple[int, str, bytes] | None:
    if method == "GET" and path.endswith("/invites"):
        return 404, "application/json", b'{"detail": "Not Found"}'
    return None


def _team_through(url: str, server: TeamServer, root: Path) -> tuple[Path, Path]:
    """(home, checkout) of a new workspace's admin logged in at ``url``, one invite pending."""
    home, work = root / "alice", root / "work"
    work.mkdir()
    email = f"alice@{root.name}.io"  # one account per test: the server is the module's
    _ok(home, work, "join", url, server.invite(email), "--email", email,
        ENVKEEP_PASSPHRASE="alice passphrase")  # fmt: skip
    _ok(home, work, "init", "shop")
    _ok(home, work, "member", "invite", "bob@proxied.io", "--role", "read", "--project", "shop")
    return home, work


def test_member_list_says_a_proxys_403_of_the_invites_instead_of_listing_none(
    server: TeamServer, tmp_path: Path
) -> None:
    refusing: list[Refusal] = []
    with serving(_proxy(server.url, refusing)) as (url, _seen):
        home, work = _team_through(url, server, tmp_path)
        refusing.append(_invites_refused)
        done = _cli(home, work, "member", "list", "--json")

    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "answered 403" in done.stderr, done.stderr
    assert "bob@proxied.io" not in done.stdout


def test_member_list_of_a_server_without_the_invites_route_lists_the_members_alone(
    server: TeamServer, tmp_path: Path
) -> None:
    refusing: list[Refusal] = []
    with serving(_proxy(server.url, refusing)) as (url, _seen):
        home, work = _team_through(url, server, tmp_path)
        refusing.append(_invites_missing)
        done = _cli(home, work, "member", "list", "--json")

    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [e["kind"] for e in listed] == ["member"]


def _reset_check_refused(method: str, path: str) -> tuple[int, str, bytes] | None:
    if method == "POST" and path.endswith("/members/reset/check"):
        return 401, "application/json", b'{"error": "unauthorized"}'
    return None


def test_a_reset_whose_check_a_proxy_refuses_stops_there_and_sends_no_reset(
    server: TeamServer, tmp_path: Path
) -> None:
    refusing: list[Refusal] = []
    with serving(_proxy(server.url, refusing)) as (url, seen):
        home, work = _team_through(url, server, tmp_path)
        refusing.append(_reset_check_refused)
        done = _cli(home, work, "member", "reset", "bob@proxied.io", "--role", "read",
                    "--project", "shop", "--yes")  # fmt: skip

    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "answered 401" in done.stderr, done.stderr
    assert [p for m, p in seen if m == "POST" and p.endswith("/members/reset")] == []
