"""A workspace never loses its last admin, and the refusal says what to do: on a real team
server (SQLite and PostgreSQL), an admin cannot remove themselves or take their own role; the
only admin is told to invite another first, and an admin who is not the only one is told whom
to ask. Once another admin removes the first, the one left is the only admin in turn."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ONLY = "you are the only admin here: invite another first (envkeep member invite EMAIL --role admin"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "lastadmin")


def _roster(home: Path, work: Path) -> list[tuple[str, str]]:
    listed: list[dict[str, Any]] = json.loads(_ok(home, work, "member", "list", "--json"))
    return sorted((m["principal"]["name"], m["role"]) for m in listed)


def _refusals(home: Path, work: Path, email: str) -> list[str]:
    """stderr of each way an admin might leave or step down (each must exit 2)."""
    tries = (
        ("member", "remove", email, "--yes"),
        ("member", "revoke", email, "--yes"),
        ("member", "grant", email, "read", "--yes"),
    )
    said = []
    for args in tries:
        done = _cli(home, work, *args)
        assert done.returncode == 2, done.stderr
        said.append(done.stderr)
    return said


def test_the_only_admin_cannot_leave_and_is_told_to_invite_another_first(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = tmp_path / "ann", tmp_path / "work"
    work.mkdir()
    join(server, home, work, server.invite("ann@last.io"), "ann@last.io")
    _ok(home, work, "init", "shop")
    before = _roster(home, work)

    remove, revoke, lower = _refusals(home, work, "ann@last.io")

    assert "error: you cannot remove yourself\n" in remove
    assert ONLY in remove
    assert "then they run: envkeep member remove ann@last.io\n" in remove
    assert "error: you cannot revoke your own role\n" in revoke
    assert ONLY in revoke
    assert "then they run: envkeep member revoke ann@last.io\n" in revoke
    assert ONLY in lower
    assert "then they run: envkeep member grant ann@last.io read\n" in lower
    assert _roster(home, work) == before == [("ann@last.io", "admin")]


def test_an_admin_who_is_not_the_only_one_is_told_whom_to_ask_and_they_can_remove_them(
    server: TeamServer, tmp_path: Path
) -> None:
    ann, work = tmp_path / "ann", tmp_path / "work"
    work.mkdir()
    join(server, ann, work, server.invite("ann@two.io"), "ann@two.io")
    _ok(ann, work, "init", "shop")
    code = _ok(ann, work, "member", "invite", "ben@two.io", "--role", "admin").strip()
    ben = tmp_path / "ben"
    join(server, ben, work, code, "ben@two.io")
    _ok(ann, work, "member", "seal", "ben@two.io")

    remove, _, _ = _refusals(ann, work, "ann@two.io")
    assert "hint: ask another admin (ben@two.io) to run: envkeep member remove ann@two.io\n" in (
        remove
    )

    _ok(ben, work, "member", "remove", "ann@two.io", "--yes")  # ann leaves the company
    assert _roster(ben, work) == [("ben@two.io", "admin")]
    assert ONLY in _refusals(ben, work, "ben@two.io")[0]
