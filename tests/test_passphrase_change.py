"""`envkeep account passphrase` on a terminal, against a real server: the current passphrase
is checked before the new one is asked for, and the new one is the one that logs in after."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import cli_ok as _ok
from tests.terminal import on_terminal

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NEW = "a brand new passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("passphrase"))
    yield running
    running.stop()


def _dialog(home: Path, cwd: Path, answers: dict[str, str]) -> tuple[int, str]:
    """`envkeep account passphrase` on a pseudo-terminal, each prompt answered."""
    return on_terminal(home, cwd, ("account", "passphrase"), answers)


def test_a_wrong_current_passphrase_is_refused_before_a_new_one_is_asked_for(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    join(server, home, tmp_path, server.invite("wrong@pass.io"), "wrong@pass.io")

    exit_code, written = _dialog(home, tmp_path, {"Current passphrase:": "not it at all"})

    assert exit_code == 4, written
    assert "the current passphrase is wrong" in written
    assert "New passphrase" not in written
    relogin = _cli(home, tmp_path, "login", server.url, "--email", "wrong@pass.io",
                   ENVKEEP_PASSPHRASE="wrong passphrase")  # fmt: skip
    assert relogin.returncode == 0, relogin.stderr  # nothing changed


def test_the_new_passphrase_logs_in_and_the_old_one_no_longer_does(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    join(server, home, tmp_path, server.invite("right@pass.io"), "right@pass.io")

    exit_code, written = _dialog(
        home,
        tmp_path,
        {
            "Current passphrase:": "right passphrase",
            "New passphrase:": NEW,
            "Repeat the new passphrase:": NEW,
        },
    )

    assert exit_code == 0, written
    assert "passphrase changed" in written
    other = tmp_path / "other"
    old = _cli(other, tmp_path, "login", server.url, "--email", "right@pass.io",
               ENVKEEP_PASSPHRASE="right passphrase")  # fmt: skip
    assert old.returncode != 0
    _ok(other, tmp_path, "login", server.url, "--email", "right@pass.io",
        ENVKEEP_PASSPHRASE=NEW)  # fmt: skip


def test_without_a_terminal_both_passphrases_come_from_the_environment(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    join(server, home, tmp_path, server.invite("ci@pass.io"), "ci@pass.io")

    only_current = _cli(home, tmp_path, "account", "passphrase",
                        ENVKEEP_PASSPHRASE="ci passphrase")  # fmt: skip
    assert only_current.returncode == 2, only_current.stderr
    assert "ENVKEEP_NEW_PASSPHRASE" in only_current.stderr

    changed = _cli(home, tmp_path, "account", "passphrase",
                   ENVKEEP_PASSPHRASE="ci passphrase", ENVKEEP_NEW_PASSPHRASE=NEW)  # fmt: skip

    assert changed.returncode == 0, changed.stderr
    assert "passphrase changed" in changed.stdout + changed.stderr
    other = tmp_path / "other"
    _ok(other, tmp_path, "login", server.url, "--email", "ci@pass.io", ENVKEEP_PASSPHRASE=NEW)
