"""`token revoke` answered 200 with another program's JSON (``{"hello": 1}``) says something
else answers at the URL (exit 5): it read the answer as a revocation that named no key to
rotate, and said the token was revoked (exit 0), while the server never saw the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.hostile_server import turning_proxy
from tests.server import TeamServer, cli, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SOMETHING_ELSE = "something other than envkeep server answers there: check the server URL"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("revocations"))
    yield running
    running.stop()


def test_token_revoke_answered_by_a_json_api_says_something_else_answers(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    email = f"admin@{tmp_path.name}.io".lower()
    with turning_proxy(
        server.url,
        lambda handler: (200, b'{"hello": 1}') if handler.path.endswith("/revoke") else None,
    ) as proxy:
        quick_ok(home, work, "join", proxy.url, server.invite(email), "--email", email,
                 ENVKEEP_PASSPHRASE="a passphrase")  # fmt: skip
        quick_ok(home, work, "init", "shop")
        quick_ok(home, work, "token", "create", "ci", "--env", "dev")
        proxy.turn()
        done = cli(home, work, "token", "revoke", "ci", "--yes", NO_PROXY="*")
        listed = cli(home, work, "token", "list", NO_PROXY="*")

    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "/tokens/ci/revoke (application/json), not as an envkeep server does" in done.stderr
    assert SOMETHING_ELSE in done.stderr
    assert listed.returncode == 0, listed.stderr
    assert "ci" in listed.stdout
