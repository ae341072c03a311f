"""`envkeep server` as a real process on 127.0.0.1, driven by the real CLI — and a check that
nothing planted as a secret reaches the server's logs or database in clear."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import ENVKEEP, TeamServer, start_server
from tests.server import cli as _cli
from tests.server import cli_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SECRET_NAME = "ZEBRA_QUOKKA_TOKEN"
SECRET_VALUE = "s3cr3t-platypus-71d9c0"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("smoke"))
    yield running
    running.stop()


def test_the_cli_works_against_a_real_server_and_nothing_leaks(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "services" / "api").mkdir(parents=True)
    code = server.invite("alice@example.com")
    _ok(
        home,
        work,
        "join",
        server.url,
        code,
        "--email",
        "alice@example.com",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )
    _ok(home, work, "init", "shop")
    assert f'server = "{server.url}"' in (work / "envkeep.toml").read_text()
    _ok(home, work, "service", "add", "api", "--path", "services/api")
    _ok(home, work, "set", f"{SECRET_NAME}={SECRET_VALUE}", "PORT=8080", "--service", "api")
    assert _ok(home, work, "get", SECRET_NAME, "--service", "api") == f"{SECRET_VALUE}\n"
    ran = _ok(
        home, work, "run", "--service", "api", "--", "sh", "-c", f'printf %s "${SECRET_NAME}"'
    )
    assert ran == SECRET_VALUE
    _ok(home, work, "logout")
    assert _cli(home, work, "get", "PORT", "--service", "api").returncode == 4
    _ok(
        home,
        work,
        "login",
        server.url,
        "--email",
        "alice@example.com",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )
    assert _ok(home, work, "get", "PORT", "--service", "api") == "8080\n"

    assert server.leaks((SECRET_NAME, SECRET_VALUE, PASSPHRASE)) == []
    metrics = httpx.get(f"{server.url}/metrics").text
    assert SECRET_VALUE not in metrics
    assert "envkeep_request_seconds" in metrics


def test_the_server_does_not_name_its_software(server: TeamServer) -> None:
    answer = httpx.get(f"{server.url}/healthz")
    assert answer.status_code == 200
    assert "server" not in answer.headers


def test_the_server_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [*ENVKEEP, "server", "--port", "1", "--db", f"sqlite:///{tmp_path / 'new.db'}"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ENVKEEP_HOME": str(tmp_path)},
    )
    assert done.returncode == 1
    assert "envkeep server migrate" in done.stderr


def test_a_wrong_passphrase_and_an_unknown_email_get_the_same_answer(
    server: TeamServer, tmp_path: Path
) -> None:
    code = server.invite("bob@example.com")
    _ok(
        tmp_path,
        tmp_path,
        "join",
        server.url,
        code,
        "--email",
        "bob@example.com",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )
    wrong = _cli(
        tmp_path,
        tmp_path,
        "login",
        server.url,
        "--email",
        "bob@example.com",
        ENVKEEP_PASSPHRASE="not the passphrase",
    )
    unknown = _cli(
        tmp_path,
        tmp_path,
        "login",
        server.url,
        "--email",
        "nobody@example.com",
        ENVKEEP_PASSPHRASE="not the passphrase",
    )
    assert wrong.returncode == unknown.returncode == 4
    assert wrong.stderr == unknown.stderr


def test_run_uses_the_kept_copy_when_the_server_is_down_within_max_age(tmp_path: Path) -> None:
    own = start_server(tmp_path / "srv")
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        _ok(
            home,
            work,
            "join",
            own.url,
            own.invite("ops@example.com"),
            "--email",
            "ops@example.com",
            ENVKEEP_PASSPHRASE=PASSPHRASE,
        )
        _ok(home, work, "init", "shop")
        _ok(home, work, "set", "PORT=8080")
        assert _ok(home, work, "run", "--", "sh", "-c", 'printf %s "$PORT"') == "8080"
    finally:
        own.stop()
    offline = _cli(home, work, "run", "--", "sh", "-c", 'printf %s "$PORT"')
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == "8080"
    assert "server unreachable" in offline.stderr
    too_old = _cli(home, work, "run", "--max-age", "0s", "--", "true")
    assert too_old.returncode == 5
    assert "--max-age" in too_old.stderr
    # Writes never go offline, nor read the kept copy first (and warn about it) on the way.
    for write in (["set", "PORT=9"], ["unset", "PORT", "--yes"], ["rollback", "PORT", "--to", "1"]):
        refused = _cli(home, work, *write)
        assert refused.returncode == 5, (write, refused.stderr)
        assert "kept" not in refused.stderr
        assert "using the copy" not in refused.stderr, (write, refused.stderr)
