"""`login` and `logout` against answers that are not envkeep's, in front of a real team
server. A prelogin or login answer missing a field names it (exit 5), where `login` said
"unexpected KeyError; this is a bug in envkeep" (exit 1). A logout answered 200 with JSON
(envkeep's is a 204) says the server was not told, where it said nothing and the session
stayed valid there; the login is forgotten here either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.hostile_server import turning_proxy
from tests.server import TeamServer, cli, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PASSPHRASE = {"ENVKEEP_PASSPHRASE": "a passphrase"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("login"))
    yield running
    running.stop()


def _swapped(
    server: TeamServer, tmp_path: Path, path: str, body: bytes, *command: str
) -> tuple[str, Path, tuple[int, str, str]]:
    """(proxy URL, home, the outcome of ``command``) by a member who joined through a proxy
    that then answers ``path`` with ``body`` (200, JSON) and forwards the rest."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    email = f"login@{tmp_path.name}.io".lower()
    with turning_proxy(
        server.url, lambda handler: (200, body) if handler.path == path else None
    ) as proxy:
        url = proxy.url
        quick_ok(home, work, "join", url, server.invite(email), "--email", email, **PASSPHRASE)
        proxy.turn()
        args = [url if a == "URL" else email if a == "EMAIL" else a for a in command]
        done = cli(home, work, *args, NO_PROXY="*", **PASSPHRASE)
    return url, home, (done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/v1/auth/prelogin", b'{"kdf_salt": "AAAA"}', "Prelogin (kdf: missing)"),
        ("/v1/auth/login", b'{"email": "a@b.io", "principal_id": "p"}', "Session (token: missing)"),
    ],
)
def test_login_whose_answer_lacks_a_field_names_it(
    server: TeamServer, tmp_path: Path, path: str, body: bytes, named: str
) -> None:
    _url, _home, (code, out, err) = _swapped(
        server, tmp_path, path, body, "login", "URL", "--email", "EMAIL"
    )

    assert code == 5, (out, err)
    assert f"the server's answer is not an envkeep {named}" in err
    assert "bug in envkeep" not in err


def test_logout_answered_200_with_json_says_the_server_was_not_told(
    server: TeamServer, tmp_path: Path
) -> None:
    url, home, (code, _out, err) = _swapped(
        server, tmp_path, "/v1/auth/logout", b'{"hello": 1}', "logout"
    )

    assert code == 0, err
    assert not (home / "session.json").exists()
    assert f"logged out of {url}" in err
    assert (
        f"warning: the server was not told ({url} answered 200 for /v1/auth/logout"
        " (application/json), not as an envkeep server does), so the session stays valid"
    ) in err


def test_logout_answered_204_by_the_server_says_nothing_of_it(
    server: TeamServer, tmp_path: Path
) -> None:
    url, home, (code, _out, err) = _swapped(server, tmp_path, "/none", b"", "logout")

    assert code == 0, err
    assert not (home / "session.json").exists()
    assert f"logged out of {url}" in err
    assert "warning" not in err
