"""A server's address is one address however it is written: envkeep.toml's ``server =`` with a
trailing ``/`` or ``/v1`` finds the login made without (and keeps its workspace pin), and a
token's server without a scheme, or no server at all, is a usage error (exit 2) that says what
to set, not an outage (exit 5) or a missing envkeep.toml."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("url-spellings"))
    yield running
    running.stop()


@pytest.mark.parametrize("suffix", ["/", "/v1", "/v1/", "upper-case scheme"])
def test_a_checkouts_server_written_with_a_suffix_finds_the_login(
    server: TeamServer, tmp_path: Path, suffix: str
) -> None:
    """(An upper-case scheme, ``HTTP://``, was refused as "not a server URL".)"""
    home, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    email = f"alice{len(suffix)}@spell.io"
    join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    _ok(home, work, "set", "A=1", "--env", "dev")
    toml = work / "envkeep.toml"
    written = f'server = "{server.url}"'
    assert written in toml.read_text()
    spelt = (
        server.url.replace("http://", "HTTP://")
        if suffix == "upper-case scheme"
        else f"{server.url}{suffix}"
    )
    toml.write_text(toml.read_text().replace(written, f'server = "{spelt}"'))

    done = _cli(home, work, "get", "A", "--env", "dev")

    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr


def test_a_token_without_a_usable_server_is_told_what_to_set(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work, bare = tmp_path / "alice", tmp_path / "work", tmp_path / "bare"
    work.mkdir()
    bare.mkdir()
    join(server, home, work, server.invite("owner@spell.io"), "owner@spell.io")
    _ok(home, work, "init", "shop")
    token = _ok(home, work, "token", "create", "ci", "--project", "shop", "--env", "dev")
    token = token.strip().splitlines()[0]
    ci = tmp_path / "ci"

    forgot = _cli(ci, bare, "get", "A", "--env", "dev", ENVKEEP_TOKEN=token)
    no_scheme = server.url.removeprefix("http://")
    schemeless = _cli(ci, bare, "get", "A", ENVKEEP_TOKEN=token, ENVKEEP_SERVER=no_scheme)

    assert forgot.returncode == 2, forgot.stderr
    assert "ENVKEEP_TOKEN needs a server" in forgot.stderr
    assert "envkeep.toml found" not in forgot.stderr
    assert schemeless.returncode == 2, schemeless.stderr
    assert "(ENVKEEP_SERVER)" in schemeless.stderr
