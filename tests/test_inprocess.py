"""`envkeep` run in the test process (tests/inprocess.py): fast because each command's app
and click tree are built once, and a worker that runs thousands of commands keeps no more
than one of each per command name; what a CLI process decides once for its life is decided
again by each command, from its own environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli.state import command_words
from tests import inprocess
from tests.server import quick_ok

if TYPE_CHECKING:
    from pathlib import Path


def test_a_command_run_again_in_process_builds_no_new_app(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    quick_ok(home, work, "init", "shop")
    quick_ok(home, work, "env", "list")
    built = inprocess._click_command.cache_info().currsize

    for _ in range(3):
        quick_ok(home, work, "env", "list")

    assert inprocess._click_command.cache_info().currsize == built


def test_each_in_process_command_reads_no_color_from_its_own_environment(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    quick_ok(home, work, "init", "shop")
    quick_ok(home, work, "set", "A=1", "--env", "dev")
    terminal = {"TTY_COMPATIBLE": "1"}  # Rich takes stdout for a terminal: it may colour

    styled = quick_ok(home, work, "list", "--env", "dev", **terminal)
    plain = quick_ok(home, work, "list", "--env", "dev", **terminal, NO_COLOR="1")
    styled_again = quick_ok(home, work, "list", "--env", "dev", **terminal)

    assert "\x1b[" in styled
    assert "\x1b[" not in plain
    assert styled_again == styled


def test_a_context_made_after_an_in_process_command_names_no_command(tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    quick_ok(home, work, "init", "shop")

    assert command_words() is None  # what make_context gives the server: no command ran
