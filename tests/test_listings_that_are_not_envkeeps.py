"""The listings users run most (`session list`, `token list`, `member list`, `member
sessions`) read the server's rows as its models: an answer that is another program's JSON
(``{"hello": 1}``) says something else answers at the URL, and a row missing a field names
it, both exit 5; they failed with "unexpected TypeError (KeyError); this is a bug in envkeep"
(exit 1). A row without only the fields added since (an older server's) still lists."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.hostile_server import turning_proxy
from tests.server import TeamServer, cli, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

HELLO = b'{"hello": 1}'
SOMETHING_ELSE = "something other than envkeep server answers there: check the server URL"
PASSPHRASE = {"ENVKEEP_PASSPHRASE": "a passphrase"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("listings"))
    yield running
    running.stop()


# What the proxy answers in the server's place: (whether a path is answered so, its body).
Swap = tuple["Callable[[str], bool]", bytes]


def _run(
    server: TeamServer, tmp_path: Path, command: list[str], swap: Swap
) -> tuple[int, str, str]:
    """``command`` by a new workspace's admin, through a proxy that answers the paths ``swap``
    names with its body (200, JSON) once the admin is set up; (exit code, stdout, stderr)."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    email = f"admin@{tmp_path.name}.io".lower()
    with turning_proxy(
        server.url, lambda handler: (200, swap[1]) if swap[0](handler.path) else None
    ) as proxy:
        quick_ok(home, work, "join", proxy.url, server.invite(email), "--email", email,
                 **PASSPHRASE)  # fmt: skip
        quick_ok(home, work, "init", "shop")
        proxy.turn()
        done = cli(home, work, *[email if a == "EMAIL" else a for a in command], NO_PROXY="*")
    return done.returncode, done.stdout, done.stderr


LISTINGS = {
    "session list": (["session", "list"], "/v1/sessions"),
    "token list": (["token", "list"], "/tokens"),
    "member list": (["member", "list"], "/members"),
    "member sessions": (["member", "sessions", "EMAIL"], "/sessions"),
}


@pytest.mark.parametrize("listing", LISTINGS)
def test_a_listing_answered_by_a_json_api_says_something_else_answers(
    server: TeamServer, tmp_path: Path, listing: str
) -> None:
    command, ending = LISTINGS[listing]
    code, out, err = _run(server, tmp_path, command, (lambda p: p.endswith(ending), HELLO))

    assert code == 5, (out, err)
    assert f"{ending} (application/json), not as an envkeep server does" in err
    assert SOMETHING_ELSE in err
    assert "bug in envkeep" not in err


PARTIAL = {  # a row of each listing with a field every envkeep server has sent left out
    "session list": (b'[{"kind": "user", "current": true}]', "SessionInfo (id"),
    "token list": (b'[{"label": "ci", "revoked": false}]', "TokenInfo (principal"),
    "member list": (b'[{"role": "admin", "project": null}]', "Member (principal"),
    "member sessions": (b'[{"created_at": "2026-12-07T10:00:00Z"}]', "MemberSession (id"),
}


@pytest.mark.parametrize("listing", PARTIAL)
def test_a_listing_whose_row_lacks_a_field_names_it(
    server: TeamServer, tmp_path: Path, listing: str
) -> None:
    command, ending = LISTINGS[listing]
    body, named = PARTIAL[listing]
    code, out, err = _run(server, tmp_path, command, (lambda p: p.endswith(ending), body))

    assert code == 5, (out, err)
    assert f"the server's answer is not an envkeep {named}: missing)" in err
    assert "bug in envkeep" not in err


def test_an_older_servers_session_rows_still_list(server: TeamServer, tmp_path: Path) -> None:
    # session 19's rows: no created_from, last_used_at or user_agent
    older = [
        {
            "id": "3f2a91bc-0000-4000-8000-000000000000",
            "kind": "user",
            "created_at": "2026-12-07T10:00:00Z",
            "expires_at": "2099-01-01T00:00:00Z",
            "current": True,
        }
    ]
    swap = (lambda p: p == "/v1/sessions", json.dumps(older).encode())
    code, out, err = _run(server, tmp_path, ["session", "list", "--json"], swap)

    assert code == 0, err
    assert [s["id"] for s in json.loads(out)] == [older[0]["id"]]
