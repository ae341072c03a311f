"""`audit --principal NAME` for a token follows it across `token rotate`, and across a new
token given a revoked one's name: the account holding the name now and each one that held it
before, so "what did the CI token do" is one filter; and each earlier one says why it no
longer holds the name (rotated out, or revoked)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from envkeep.client.token_keys import parse_token
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("audit-rotation"))
    yield running
    running.stop()


def test_a_tokens_events_before_and_after_rotation_answer_one_filter(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@rot.io"), "alice@rot.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "dev")
    first = _ok(alice, work, "token", "create", "ci", "--project", "shop", "--env", "dev").strip()
    _ok(alice, work, "token", "create", "other", "--project", "shop", "--env", "dev")
    ci = tmp_path / "ci"
    assert _cli(ci, work, "list", "--env", "dev", ENVKEEP_TOKEN=first).returncode == 0
    second = _ok(alice, work, "token", "rotate", "ci").strip()
    assert _cli(ci, work, "list", "--env", "dev", ENVKEEP_TOKEN=second).returncode == 0

    events = json.loads(_ok(alice, work, "audit", "--principal", "ci", "--json"))
    shown = json.loads(_ok(alice, work, "audit", "--principal", "token ci", "--json"))

    reads = [e for e in events if e["action"] == "secrets.read"]
    assert [e["principal"] for e in reads] == ["token ci (rotated out)", "token ci"], events
    assert len({e["principal_id"] for e in reads}) == 2
    assert shown == events
    assert all(e["principal"] in {"token ci", "token ci (rotated out)"} for e in events)


def test_the_filter_tells_token_names_apart_by_case(server: TeamServer, tmp_path: Path) -> None:
    # SQLite's LIKE ignores case; token names do not.
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@case.io"), "alice@case.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "dev")
    for name in ("ci", "CI"):
        token = _ok(alice, work, "token", "create", name, "--project", "shop", "--env", "dev")
        used = _cli(tmp_path / name, work, "list", "--env", "dev", ENVKEEP_TOKEN=token.strip())
        assert used.returncode == 0, used.stderr
        _ok(alice, work, "token", "rotate", name)

    upper = json.loads(_ok(alice, work, "audit", "--principal", "CI", "--json"))

    assert [e["principal"] for e in upper if e["action"] == "secrets.read"] == [
        "token CI (rotated out)"
    ], upper
    assert all(e["principal"].startswith("token CI") for e in upper), upper


def test_a_revoked_token_whose_name_was_given_again_says_revoked_and_one_filter_finds_both(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@reuse.io"), "alice@reuse.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "dev")
    for revoked in (True, False):  # the second `token create ci` takes the revoked one's name
        token = _ok(alice, work, "token", "create", "ci", "--project", "shop", "--env", "dev")
        used = _cli(tmp_path / "ci", work, "list", "--env", "dev", ENVKEEP_TOKEN=token.strip())
        assert used.returncode == 0, used.stderr
        if revoked:
            _ok(alice, work, "token", "revoke", "ci", "--yes")

    reads = _cli(alice, work, "audit", "--principal", "token ci", "--action", "secrets.read")
    made = _cli(alice, work, "audit", "--action", "token.", "--json")

    assert reads.returncode == 0, reads.stderr
    assert [_cells(row)[2] for row in _rows(reads.stdout)] == [
        "token ci (revoked)",
        "token ci",
    ], reads.stdout
    assert [(e["action"], e["subject"]) for e in json.loads(made.stdout)] == [
        ("token.create", "token ci (revoked)"),
        ("token.revoke", "token ci (revoked)"),
        ("token.create", "token ci"),
    ]


def test_a_rotation_is_about_the_token_it_rotated_out(server: TeamServer, tmp_path: Path) -> None:
    """The table's SUBJECT of a `token.rotate` is the token it ended, which a reader looks for,
    not its successor; `--json` keeps ``subject`` (the successor) and adds ``replaced``, and
    `--subject` finds a rotation by the id of the token it ended."""
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@rotsubj.io"), "alice@rotsubj.io")
    _ok(alice, work, "init", "shop")
    first = _ok(alice, work, "token", "create", "ci", "--project", "shop", "--env", "dev")
    for _ in range(2):
        _ok(alice, work, "token", "rotate", "ci")
    first_id = parse_token(first.strip()).principal_id

    table = _cli(alice, work, "audit", "--action", "token.rotate")
    events = json.loads(_ok(alice, work, "audit", "--action", "token.rotate", "--json"))
    about_first = json.loads(_ok(alice, work, "audit", "--subject", first_id, "--json"))

    assert table.returncode == 0, table.stderr
    assert [_cells(row)[5] for row in _rows(table.stdout)] == ["token ci (rotated out)"] * 2
    assert [(e["subject"], e["replaced"]) for e in events] == [
        ("token ci (rotated out)", "token ci (rotated out)"),
        ("token ci", "token ci (rotated out)"),
    ]
    assert json.loads(events[0]["details"])["replaced"] == first_id
    assert [e["action"] for e in about_first] == ["token.create", "token.rotate"]
    assert about_first[1]["seq"] == events[0]["seq"]


def _rows(table: str) -> list[str]:
    return table.splitlines()[1:]


def _cells(row: str) -> list[str]:
    return re.split(r"\s{2,}", row.strip())
