"""A process started without a standard stream (``<&-`` and ``>&-`` in a CI step or a
container entrypoint), or whose stdout's reader is gone (``| head -0``): commands work, say
nothing of Python's, and a command `run` starts gets /dev/null, not a closed descriptor.
Real processes started by a shell: a fork of one that has imported envkeep keeps the
streams Python opened before the test closed them."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from .conftest import ENVKEEP

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

# The child says what its stdin is, and prints a value envkeep gave it.
STDIN_OF_CHILD = "import os; print(os.readlink('/proc/self/fd/0'), os.environ['PORT'])"


def _started_with(envkeep: Envkeep, redirect: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``envkeep ARGS`` started by a shell with ``redirect`` (``<&-``, ``2>&-``, ...)."""
    return subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", *ENVKEEP, *args],
        capture_output=True,
        text=True,
        cwd=envkeep.cwd,
        env=envkeep.environ({"ENVKEEP_RUN_CACHE": "off"}),
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("command", [("get", "PORT"), ("list",), ("export",)], ids=" ".join)
def test_a_command_started_with_stdin_closed_runs_as_with_dev_null(
    envkeep: Envkeep, seeded: Path, command: tuple[str, ...]
) -> None:
    done = _started_with(envkeep, "<&-", *command, "--env", "dev")

    assert (done.returncode, done.stderr) == (0, "")
    assert "3000" in done.stdout or "PORT" in done.stdout


def test_run_started_with_stdin_closed_gives_its_command_dev_null(
    envkeep: Envkeep, seeded: Path
) -> None:
    done = _started_with(
        envkeep, "<&-", "run", "--env", "dev", "--", sys.executable, "-c", STDIN_OF_CHILD
    )

    assert (done.returncode, done.stdout, done.stderr) == (0, "/dev/null 3000\n", "")


def test_a_command_with_stdout_or_stderr_closed_keeps_its_exit_code(
    envkeep: Envkeep, seeded: Path
) -> None:
    printed = _started_with(envkeep, ">&-", "get", "PORT", "--env", "dev")
    failed = _started_with(envkeep, "2>&-", "get", "NOPE", "--env", "dev")

    assert (printed.returncode, printed.stderr) == (0, "")
    assert (failed.returncode, failed.stdout) == (1, "")


def test_a_command_whose_stdout_reader_is_gone_exits_1_without_a_traceback(
    envkeep: Envkeep, seeded: Path
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write (`| head -0`)
    try:
        done = subprocess.run(
            [*ENVKEEP, "export", "--env", "dev"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=envkeep.cwd,
            env=envkeep.environ({"PYTHONUNBUFFERED": None}),  # what it holds, written at exit
            check=False,
            timeout=60,
        )
    finally:
        os.close(write_end)

    assert (done.returncode, done.stderr) == (1, "")
