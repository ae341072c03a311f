"""`envkeep edit` ended by SIGTERM or SIGHUP (`kill`, a closed terminal) while the editor is
open: the buffer, every value of the scope in clear, goes as it does on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
from typing import TYPE_CHECKING

import pytest

from envkeep.core.files import writer_tag

from .conftest import wait_for_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from .conftest import Envkeep

# Says where the buffer is (in a file that appears whole), then waits for the signal.
HANGING_EDITOR = """\
import pathlib, sys, time
said = pathlib.Path({opened!r} + ".part")
said.write_text(sys.argv[1])
said.rename({opened!r})  # whole when it appears
time.sleep(60)
"""


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGHUP])
def test_an_edit_ended_by_a_signal_leaves_no_buffer_in_clear(
    envkeep: Envkeep, seeded: Path, tmp_path: Path, ending: signal.Signals
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    opened = tmp_path / "opened"
    script = tmp_path / "editor.py"
    script.write_text(HANGING_EDITOR.format(opened=str(opened)))
    with _acted_on(ending):
        editing = envkeep.popen(
            "edit", "--env", "dev", "--service", "-",
            env={"EDITOR": shlex.join([sys.executable, str(script)]), "VISUAL": None,
                 "TMPDIR": str(temporary)},
        )  # fmt: skip
    try:
        wait_for_file(opened, editing)
        assert "LOG_LEVEL=info" in (tmp_path / opened.read_text()).read_text()
        editing.send_signal(ending)
        _out, err = editing.communicate(timeout=30)
    finally:
        if editing.poll() is None:
            editing.kill()
            editing.communicate()
    assert editing.returncode == 130
    assert list(temporary.iterdir()) == []
    assert err.decode().splitlines()[-1:] == ["interrupted"]


@contextlib.contextmanager
def _acted_on(ending: signal.Signals) -> Iterator[None]:
    """``ending`` at its default action for the processes started in the block. Under
    ``nohup`` (or a CI runner that ignores SIGHUP) the tests inherit SIGHUP ignored, and
    `envkeep edit` rightly keeps a signal ignored that it started with: the SIGHUP case
    waited out its 30 s and failed."""
    kept = signal.signal(ending, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(ending, kept)


# Says where the buffer is and its own pid, then waits (its envkeep is killed under it).
ORPHANED_EDITOR = """\
import os, pathlib, sys, time
pathlib.Path({pid!r}).write_text(str(os.getpid()))
said = pathlib.Path({opened!r} + ".part")
said.write_text(sys.argv[1])
said.rename({opened!r})  # whole when it appears
time.sleep(60)
"""


def test_the_buffer_of_an_edit_killed_outright_goes_at_the_next_edit(
    envkeep: Envkeep, seeded: Path, tmp_path: Path
) -> None:
    """kill -9 runs no handler: the buffer stays, named by the killed process, until the next
    `edit` finds that process gone and removes it."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    opened, pid = tmp_path / "opened", tmp_path / "pid"
    script = tmp_path / "editor.py"
    script.write_text(ORPHANED_EDITOR.format(opened=str(opened), pid=str(pid)))
    editing = envkeep.popen(
        "edit", "--env", "dev", "--service", "-",
        env={"EDITOR": shlex.join([sys.executable, str(script)]), "VISUAL": None,
             "TMPDIR": str(temporary)},
    )  # fmt: skip
    try:
        wait_for_file(opened, editing)
        editing.kill()
        editing.wait(timeout=30)
    finally:
        if pid.exists():  # the editor, left running by its killed parent (and its pipes open)
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid.read_text()), signal.SIGKILL)
        editing.communicate(timeout=30)
    [left] = list(temporary.iterdir())
    assert left.name.startswith(f"envkeep-edit-{writer_tag(editing.pid)}-")

    again = envkeep(
        "edit", "--env", "dev", "--service", "-",
        env={"EDITOR": "true", "VISUAL": None, "TMPDIR": str(temporary)},
    )  # fmt: skip

    assert again.code == 0, again.describe()
    assert list(temporary.iterdir()) == []
