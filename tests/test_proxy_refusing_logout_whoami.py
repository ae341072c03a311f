"""`logout` and `whoami` against a proxy that answers 401 or 403 (its own JSON, not envkeep's
problem+json) to every request, in front of a real team server. `logout` forgets the login
here all the same and says the server was not told, and by what (it said "could not be
reached"); `whoami` says something other than envkeep answers, exit 5 (README's table: the
server cannot be reached), where it printed the saved lines as if checked, a warning aside,
and exited 0, so a script took the login for good."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.hostile_server import turning_proxy
from tests.server import TeamServer, cli, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


DENIED = b'{"error": "denied by policy"}'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("refusing"))
    yield running
    running.stop()


def _refused_after_login(
    server: TeamServer, root: Path, status: int, *command: str
) -> tuple[str, Path, list[tuple[str, str]], tuple[int, str, str]]:
    """(the proxy's URL, home, what the proxy saw, (exit code, stdout, stderr)) of ``command``
    run once the proxy a login went through refuses everything with ``status``."""
    home, work = root / "home", root / "work"
    work.mkdir()
    email = f"{command[0]}{status}@{root.name}.io"
    with turning_proxy(server.url, lambda _handler: (status, DENIED)) as proxy:
        quick_ok(home, work, "join", proxy.url, server.invite(email), "--email", email,
                 ENVKEEP_PASSPHRASE="a passphrase")  # fmt: skip
        proxy.turn()
        done = cli(home, work, *command, NO_PROXY="*")
    return proxy.url, home, proxy.seen, (done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("status", [401, 403])
def test_logout_through_a_refusing_proxy_forgets_the_login_and_says_the_server_was_not_told(
    server: TeamServer, tmp_path: Path, status: int
) -> None:
    url, home, seen, (code, _out, err) = _refused_after_login(server, tmp_path, status, "logout")

    assert code == 0, err
    assert ("POST", "/v1/auth/logout") in seen
    assert not (home / "session.json").exists()
    assert f"logged out of {url}" in err
    assert (
        f"warning: the server was not told ({url} answered {status} for /v1/auth/logout"
        " (application/json), not as an envkeep server does), so the session stays valid"
    ) in err
    assert "could not be reached" not in err
    assert "session revoke" in err


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("json_out", [False, True])
def test_whoami_through_a_refusing_proxy_says_something_else_answers_exit_5(
    server: TeamServer, tmp_path: Path, status: int, *, json_out: bool
) -> None:
    command = ["whoami", "--json"] if json_out else ["whoami"]
    url, home, _seen, (code, out, err) = _refused_after_login(server, tmp_path, status, *command)

    assert code == 5, (out, err)
    assert out == ""  # an error is never JSON, nor lines shown as if checked
    assert f"error: {url} answered {status} for /v1/whoami (application/json)" in err
    assert "something other than envkeep server answers there: check the server URL" in err
    assert json.loads((home / "session.json").read_text())["url"] == url  # kept: not ended


def test_whoami_fingerprint_through_a_refusing_proxy_still_shows_this_machines_key(
    server: TeamServer, tmp_path: Path
) -> None:
    """The fingerprint is read out for a check by voice (docs/security.md): it is this
    machine's, so a proxy refusing the server's part leaves a warning, not the command's end."""
    url, _home, _seen, (code, out, err) = _refused_after_login(
        server, tmp_path, 403, "whoami", "--fingerprint"
    )

    assert code == 0, (out, err)
    shown = dict(line.split(": ", 1) for line in out.splitlines())
    assert shown["server"] == url
    assert len(shown["fingerprint"].replace(":", "").replace(" ", "")) >= 16
    assert f"warning: {url} answered 403 for /v1/whoami" in err
    assert "shown as saved here, not checked" in err
