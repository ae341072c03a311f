"""`envkeep` run in the test process (tests/inprocess.py): fast because each command's app
and click tree are built once, and a worker that runs thousands of commands keeps no more
than one of each per command name."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
