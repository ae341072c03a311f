"""What the CLI says before it reaches any server: an ENVKEEP_TOKEN that is not one, member
and token commands where no team server is named or logged in to, an https:// URL of a
server that answers plain HTTP, and a plain http:// URL off this machine."""

from __future__ import annotations

import http.server
import threading
from typing import TYPE_CHECKING

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def test_a_token_cut_short_is_told_apart_from_something_else_entirely(tmp_path: Path) -> None:
    env = {"ENVKEEP_SERVER": "http://127.0.0.1:1", "ENVKEEP_PROJECT": "shop"}
    cut = cli(tmp_path / "ci", tmp_path, "get", "A", ENVKEEP_TOKEN="ek_sa_garbage", **env)
    other = cli(tmp_path / "ci", tmp_path, "get", "A", ENVKEEP_TOKEN="ghp_notours", **env)
    secret_cut = cli(
        tmp_path / "ci",
        tmp_path,
        "get",
        "A",
        ENVKEEP_TOKEN="ek_sa_11111111-2222-3333-4444-555555555555_abc",
        **env,
    )

    assert cut.returncode == other.returncode == 2
    assert "ENVKEEP_TOKEN is cut short or damaged" in cut.stderr
    assert secret_cut.returncode == 2, secret_cut.stderr
    assert "ENVKEEP_TOKEN is cut short or damaged" in secret_cut.stderr
    assert "ENVKEEP_TOKEN is not an envkeep token" in other.stderr
    assert "garbage" not in cut.stderr  # a token is never echoed


def test_member_and_token_commands_outside_a_project_and_a_login_say_so_and_make_nothing(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    for command in (["member", "list"], ["token", "list"]):
        done = cli(home, tmp_path, *command)

        assert done.returncode == 2, done.stderr
        assert "you are not logged in to one" in done.stderr
        assert "envkeep login URL" in done.stderr
    assert not home.exists() or not any(home.iterdir())  # nothing made here for a refusal


def test_https_to_a_plain_http_server_says_to_put_tls_in_front_not_to_downgrade(
    tmp_path: Path,
) -> None:
    plain = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{plain.server_address[1]}"
        done = cli(tmp_path / "home", tmp_path, "login", url, "--email", "a@example.com",
                   ENVKEEP_PASSPHRASE="long enough passphrase")  # fmt: skip
    finally:
        plain.shutdown()
        plain.server_close()

    assert done.returncode == 5, done.stderr
    assert "hint: it answers plain HTTP, not TLS (envkeep server alone serves no TLS): put a" in (
        done.stderr
    )
    assert "TLS-terminating proxy in front of it (docs/deploy.md); only for a local test" in (
        done.stderr
    )


def test_refusals_in_a_checkout_name_its_project(tmp_path: Path) -> None:
    embedded, remote = tmp_path / "embedded", tmp_path / "remote"
    for work, server in ((embedded, ""), (remote, 'server = "http://127.0.0.1:1"\n')):
        work.mkdir()
        (work / "envkeep.toml").write_text(
            f'project = "shop"\ndefault_env = "dev"\n{server}environments = ["dev"]\n'
        )
    home = tmp_path / "home"

    members = cli(home, embedded, "member", "list")
    read = cli(home, remote, "get", "A")
    named = cli(home, remote, "get", "A", ENVKEEP_SERVER="http://127.0.0.1:2")

    assert (members.returncode, members.stderr.splitlines()[0]) == (
        2,
        "error: members and roles live on a team server; project 'shop' uses the embedded store",
    )
    assert (read.returncode, read.stderr.splitlines()[0]) == (
        4,
        "error: project 'shop' lives on http://127.0.0.1:1, and you are not logged in there",
    )
    assert (named.returncode, named.stderr.splitlines()[0]) == (
        4,
        "error: ENVKEEP_SERVER names http://127.0.0.1:2, and you are not logged in there",
    )


def test_login_join_and_envkeep_server_over_http_off_this_machine_warn_and_go_on(
    tmp_path: Path,
) -> None:
    # 0.0.0.0 is no loopback name, yet a connection to it is refused at once (nothing listens).
    remote, local = "http://0.0.0.0:1", "http://127.0.0.1:1"
    secret = {"ENVKEEP_PASSPHRASE": "long enough passphrase"}
    login = cli(tmp_path / "a", tmp_path, "login", remote, "--email", "a@x.io", **secret)
    join = cli(tmp_path / "b", tmp_path, "join", remote, "ek_inv_x", "--email", "a@x.io", **secret)
    token = "ek_sa_11111111-2222-3333-4444-555555555555_" + "a" * 43
    read = cli(tmp_path / "c", tmp_path, "get", "A", ENVKEEP_SERVER=remote,
               ENVKEEP_PROJECT="shop", ENVKEEP_TOKEN=token)  # fmt: skip
    quiet = cli(tmp_path / "d", tmp_path, "login", local, "--email", "a@x.io", **secret)

    warning = (
        "warning: 0.0.0.0 is reached over plain http://: the login proof and the session token"
        " will go over the network in clear; put a TLS-terminating proxy in front of the server"
        " and use https:// (docs/deploy.md)"
    )
    assert login.returncode == 5, login.stderr  # a warning: it tried, and found nobody there
    assert login.stderr.splitlines()[0] == warning
    assert join.stderr.splitlines()[0] == warning
    assert "the token (ENVKEEP_TOKEN, or the login's) will go over the network" in read.stderr
    assert read.stderr.count("plain http://") == 1
    assert quiet.returncode == 5, quiet.stderr
    assert "plain http://" not in quiet.stderr
