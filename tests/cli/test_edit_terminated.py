"""`envkeep edit` ended by SIGTERM or SIGHUP (`kill`, a closed terminal) while the editor is
open: the buffer, every value of the scope in clear, goes as it does on Ctrl-C."""

from __future__ import annotations

import shlex
import signal
import sys
from typing import TYPE_CHECKING

import pytest

from .conftest import wait_for_file

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

# Says where the buffer is, then waits for the signal.
HANGING_EDITOR = """\
import pathlib, sys, time
pathlib.Path({opened!r}).write_text(sys.argv[1])
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
