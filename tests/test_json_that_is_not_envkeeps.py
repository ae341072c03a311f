"""A JSON 200 that shares nothing with the answer a route gives (another program's API at the
URL answers every path with ``{"hello": 1}``) is refused as something other than envkeep
answering there, as its HTML 200 already was: `login` and `workspace list` failed with "unexpected
KeyError; this is a bug in envkeep" (exit 1), `run` with "not an envkeep Snapshot (project:
missing)". An older envkeep server's answer, without the fields added since, still reads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.api import schemas
from envkeep.client.api_client import ApiClient
from envkeep.core.errors import NotAnEnvkeepRoute
from tests.hostile_server import Handler, reply, serving, turning_proxy
from tests.server import TeamServer, cli, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envkeep.client.answers import Shape

HELLO = b'{"hello": 1}'
SOMETHING_ELSE = "something other than envkeep server answers there: check the server URL"


def _answering(body: bytes) -> Any:
    def answer(handler: Handler, _body: bytes) -> None:
        reply(handler, 200, [("Content-Type", "application/json")], body)

    return answer


def _read(url: str, shape: Shape) -> Any:
    api = ApiClient(url, proxies={})
    try:
        return api.request("GET", "/v1/whoami", answer=shape)
    finally:
        api.close()


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        (HELLO, schemas.Whoami),
        (b"{}", schemas.Whoami),
        (b"[]", schemas.Whoami),  # a list where an object is answered
        (HELLO, [schemas.Project]),  # an object where a list is answered
        (b'[{"hello": 1}]', [schemas.Project]),
        (b'["shop"]', [schemas.Project]),
    ],
)
def test_a_json_answer_sharing_no_field_with_the_routes_is_something_else(
    body: bytes, shape: Shape
) -> None:
    with serving(_answering(body)) as (url, _seen), pytest.raises(NotAnEnvkeepRoute) as raised:
        _read(url, shape)

    assert raised.value.message == (
        f"{url} answered 200 for /v1/whoami (application/json), not as an envkeep server does"
    )
    assert str(raised.value.hint).startswith(SOMETHING_ELSE)


def test_an_older_servers_answer_without_the_fields_added_since_still_reads() -> None:
    # session 1's whoami: no role or level per workspace, no reset_by/reset_at
    keys = {"encryption_public": "AA", "signing_public": "AA"}
    older = {
        "principal": {"id": "p1", "kind": "user", "name": "a@b.io", **keys},
        "workspaces": [{"id": "w1", "name": "acme"}],
    }
    with serving(_answering(json.dumps(older).encode())) as (url, _seen):
        found = _read(url, schemas.Whoami)

    assert found == older


def test_an_empty_list_is_an_answer_of_none() -> None:
    with serving(_answering(b"[]")) as (url, _seen):
        assert _read(url, [schemas.Project]) == []


def test_login_at_a_json_api_says_something_else_answers_not_a_bug(tmp_path: Path) -> None:
    with serving(_answering(HELLO)) as (url, _seen):
        done = cli(tmp_path / "home", tmp_path, "login", url, "--email", "a@b.io",
                   ENVKEEP_PASSPHRASE="a passphrase", NO_PROXY="*")  # fmt: skip

    assert done.returncode == 5, done.stderr
    assert f"{url} answered 200 for /v1/auth/prelogin (application/json)" in done.stderr
    assert SOMETHING_ELSE in done.stderr
    assert "bug in envkeep" not in done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("hello"))
    yield running
    running.stop()


@pytest.mark.parametrize(
    "command",
    [["workspace", "list"], ["run", "-e", "dev", "--", "true"], ["env", "list"]],
)
def test_a_logged_in_command_whose_server_turns_into_a_json_api_says_so(
    server: TeamServer, tmp_path: Path, command: list[str]
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    email = f"{command[0]}@{tmp_path.name}.io"
    with turning_proxy(server.url, lambda _handler: (200, HELLO)) as proxy:
        url = proxy.url
        quick_ok(home, work, "join", url, server.invite(email), "--email", email,
                 ENVKEEP_PASSPHRASE="a passphrase")  # fmt: skip
        quick_ok(home, work, "init", "shop")
        proxy.turn()
        done = cli(home, work, *command, NO_PROXY="*")

    assert done.returncode == 5, (done.stdout, done.stderr)
    assert f"{url} answered 200 for /v1/" in done.stderr
    assert SOMETHING_ELSE in done.stderr


def test_workspace_list_of_an_answer_with_a_field_of_the_wrong_type_names_it(
    server: TeamServer, tmp_path: Path
) -> None:
    wrong = b'{"principal": {}, "workspaces": 5}'
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    email = f"partial@{tmp_path.name}.io"
    with turning_proxy(
        server.url, lambda handler: (200, wrong) if handler.path == "/v1/whoami" else None
    ) as proxy:
        quick_ok(home, work, "join", proxy.url, server.invite(email), "--email", email,
                 ENVKEEP_PASSPHRASE="a passphrase")  # fmt: skip
        proxy.turn()
        done = cli(home, work, "workspace", "list", NO_PROXY="*")

    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "the server's answer is not an envkeep Whoami (principal.id: missing)" in done.stderr
    assert "bug in envkeep" not in done.stderr
