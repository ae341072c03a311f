"""Which store a command uses once you are logged in, and what it says about it: `whoami` shows
the server account wherever it runs (the local identity apart, labelled, where a checkout keeps
its project on the embedded store); `init` says when a checkout's project stays on this
machine, refuses to create it on ENVKEEP_SERVER's server without a word in envkeep.toml, keeps
a new project on the embedded store with --local, and says why it went to a server it cannot
reach; a clone of an embedded-store checkout is told where its project is, not to create it."""

from __future__ import annotations

import json
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
    running = start_server(tmp_path_factory.mktemp("store-choice"))
    yield running
    running.stop()


def _joined(server: TeamServer, home: Path, work: Path, email: str) -> None:
    join(server, home, work, server.invite(email), email)


def _embedded_then_joined(server: TeamServer, tmp_path: Path, email: str) -> tuple[Path, Path]:
    """(home, checkout): project ``shop`` made on the embedded store (a value in dev), and
    afterwards a login to ``server``, as a user who starts alone and joins a team does."""
    home, shop = tmp_path / "home", tmp_path / "shop"
    shop.mkdir()
    _ok(home, shop, "init", "shop", "--yes")
    _ok(home, shop, "set", "A=1", "--env", "dev")
    _joined(server, home, tmp_path, email)
    return home, shop


def test_whoami_shows_the_server_account_in_an_embedded_checkout_and_the_local_identity_apart(
    server: TeamServer, tmp_path: Path
) -> None:
    home, shop = _embedded_then_joined(server, tmp_path, "who@store.io")
    account = json.loads((home / "session.json").read_text())["principal_id"]

    here = json.loads(_ok(home, shop, "whoami", "--json", "--fingerprint"))
    outside = json.loads(_ok(home, tmp_path, "whoami", "--json", "--fingerprint"))
    text = _ok(home, shop, "whoami", "--fingerprint").splitlines()

    assert here["email"] == outside["email"] == "who@store.io"
    assert here["principal_id"] == outside["principal_id"] == account
    assert here["fingerprint"] == outside["fingerprint"]
    assert (here["store_here"], outside["store_here"]) == ("embedded", "server")
    local = here["local_identity"]
    assert local["principal_id"] != account
    assert local["name"].endswith("@local")
    assert local["fingerprint"] != here["fingerprint"]
    assert "local_identity" not in outside
    assert f"principal id: {account}" in text
    assert f"fingerprint: {here['fingerprint']}" in text
    assert f"local fingerprint: {local['fingerprint']}" in text
    assert any(line.startswith("store here: embedded") for line in text)


def test_init_in_an_embedded_checkout_while_logged_in_says_the_server_is_not_used(
    server: TeamServer, tmp_path: Path
) -> None:
    home, shop = _embedded_then_joined(server, tmp_path, "stay@store.io")

    done = _cli(home, shop, "init")

    assert done.returncode == 0, done.stderr
    assert "is set up already; nothing to do" in done.stderr
    assert "project 'shop' is on this machine's embedded store" in done.stderr
    assert f"{server.url}, where you are logged in, is not used for it" in done.stderr
    assert f"To move it there, run: envkeep project move-to {server.url}" in done.stderr
    assert "server =" not in (shop / "envkeep.toml").read_text()


def test_init_with_envkeep_server_in_an_embedded_checkout_creates_nothing_there(
    server: TeamServer, tmp_path: Path
) -> None:
    home, shop = _embedded_then_joined(server, tmp_path, "move@store.io")
    before = (shop / "envkeep.toml").read_text()

    refused = _cli(home, shop, "init", ENVKEEP_SERVER=server.url)

    assert refused.returncode == 2, refused.stderr
    assert "envkeep.toml names no server, so project 'shop' is kept on an embedded" in (
        refused.stderr
    )
    assert f"init does not create it on {server.url} (ENVKEEP_SERVER); nothing changed" in (
        refused.stderr
    )
    assert f"to move it to {server.url}, run: envkeep project move-to {server.url}" in (
        refused.stderr
    )
    assert (shop / "envkeep.toml").read_text() == before
    on_server = _cli(home, tmp_path, "env", "list", ENVKEEP_PROJECT="shop")
    assert on_server.returncode == 1, on_server.stderr
    assert "project 'shop' not found" in on_server.stderr
    assert _ok(home, shop, "get", "A", "--env", "dev") == "1\n"  # still here, as it was


def test_a_clone_of_an_embedded_checkout_is_told_where_its_project_is(
    server: TeamServer, tmp_path: Path
) -> None:
    _home, shop = _embedded_then_joined(server, tmp_path, "maker@store.io")
    teammate, clone = tmp_path / "teammate", tmp_path / "clone"
    clone.mkdir()
    (clone / "envkeep.toml").write_text((shop / "envkeep.toml").read_text())
    # Joined in the clone: the join's passphrase protects no local identity made there by it.
    _joined(server, teammate, clone, "teammate@store.io")

    logged_in = _cli(teammate, clone, "list", "--env", "dev")
    named = _cli(teammate, clone, "list", "--env", "dev", ENVKEEP_SERVER=server.url)

    assert logged_in.returncode == 1, logged_in.stderr
    assert "project 'shop' not found" in logged_in.stderr
    assert (
        "hint: envkeep.toml names no server: project 'shop' is on the embedded store of the"
        f" machine where it was made, not on {server.url} where you are logged in"
    ) in logged_in.stderr
    assert named.returncode == 1, named.stderr
    assert f"may be on someone's embedded store, not on {server.url} (ENVKEEP_SERVER)" in (
        named.stderr
    )
    for said in (logged_in, named):
        assert "create it with: envkeep init shop" not in said.stderr


def test_init_local_keeps_a_new_project_on_the_embedded_store_while_logged_in(
    server: TeamServer, tmp_path: Path
) -> None:
    home, mine, theirs = tmp_path / "home", tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    _joined(server, home, tmp_path, "local@store.io")

    local = _cli(home, mine, "init", "mine", "--local")
    on_server = _cli(home, theirs, "init", "theirs")

    assert local.returncode == 0, local.stderr
    assert "project 'mine' is ready on this machine's embedded store" in local.stderr
    assert "server =" not in (mine / "envkeep.toml").read_text()
    assert json.loads(_ok(home, mine, "whoami", "--json"))["store_here"] == "embedded"
    _ok(home, mine, "set", "A=1", "--env", "dev")
    assert _ok(home, mine, "get", "A", "--env", "dev") == "1\n"
    assert on_server.returncode == 0, on_server.stderr
    assert f"project 'theirs' is ready on {server.url}" in on_server.stderr
    assert f'server = "{server.url}"' in (theirs / "envkeep.toml").read_text()


def test_init_local_is_refused_where_a_server_would_be_used_afterwards(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work, other = tmp_path / "home", tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    _joined(server, home, tmp_path, "refused@store.io")
    _ok(home, work, "init", "onserver")

    in_checkout = _cli(home, work, "init", "--local")
    named = _cli(home, other, "init", "other", "--local", ENVKEEP_SERVER=server.url)

    assert in_checkout.returncode == 2, in_checkout.stderr
    assert f"puts project 'onserver' on {server.url}; --local is for" in in_checkout.stderr
    assert named.returncode == 2, named.stderr
    assert "--local puts the project on this machine's embedded store, and ENVKEEP_SERVER" in (
        named.stderr
    )
    assert not (other / "envkeep.toml").exists()


def test_init_on_an_unreachable_server_says_the_login_chose_it_and_names_local(
    tmp_path: Path,
) -> None:
    gone = start_server(tmp_path / "gone")
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        _joined(gone, home, tmp_path, "down@store.io")
    finally:
        gone.stop()

    down = _cli(home, work, "init", "shop")

    assert down.returncode == 5, down.stderr
    assert f"cannot reach {gone.url}" in down.stderr
    assert f"init chose {gone.url} because you are logged in there" in down.stderr
    assert "envkeep init shop --local" in down.stderr
    assert not (work / "envkeep.toml").exists()
    assert _cli(home, work, "init", "shop", "--local").returncode == 0
