"""`envkeep run`: the child sees the resolved values and is the process (exit code, stdio,
signals). Runs on the ``seeded`` project: dev has PORT=3000 shared and PORT=8080 for api."""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

import pytest

from .conftest import wait_for_file

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PY = sys.executable
PRINT_VARS = "import os, sys; print(*(os.environ.get(n, '-') for n in sys.argv[1:]))"

# Installs handlers, says it is ready through a file, then waits; on the signal it writes
# which signal arrived (and a value envkeep gave it) to a marker file and exits 0.
SIGNAL_CHILD = """
import os, signal, sys
marker, ready = sys.argv[1], sys.argv[2]
def stop(signum, frame):
    with open(marker, "w") as handle:
        handle.write(signal.Signals(signum).name + " " + os.environ["PORT"])
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(ready, "w").close()
while True:
    signal.pause()
"""


def test_service_scope_overrides_shared_scope_in_run(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep.ok(
        "run", "--env", "dev", "--service", "api", "--",
        PY, "-c", PRINT_VARS, "PORT", "DATABASE_URL", "LOG_LEVEL",
    )  # fmt: skip

    assert result.stdout == "8080 postgres://db/shop info\n"


def test_run_without_service_sees_the_shared_scope(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep.ok("run", "--env", "dev", "--", PY, "-c", PRINT_VARS, "PORT", "LOG_LEVEL")

    assert result.stdout == "3000 info\n"


def test_run_keeps_the_inherited_environment_and_stored_values_win(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep.ok(
        "run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_VARS, "INHERITED_ONLY", "PORT",
        env={"INHERITED_ONLY": "from-parent", "PORT": "1"},
    )  # fmt: skip

    assert result.stdout == "from-parent 8080\n"


def test_run_without_double_dash_goes_through_typer_with_the_same_values(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep.ok("run", "--env", "dev", "--service", "api", PY, "-c", PRINT_VARS, "PORT")

    assert result.stdout == "8080\n"


def test_run_returns_the_child_exit_code(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep("run", "--env", "dev", "--", "sh", "-c", "exit 7")

    assert result.code == 7
    assert result.stderr == ""


def test_run_passes_stdin_through(envkeep: Envkeep, seeded: Path) -> None:
    reverse = "import sys; sys.stdout.write(sys.stdin.read()[::-1])"

    result = envkeep.ok("run", "--env", "dev", "--", PY, "-c", reverse, stdin="hello\nwörld\n")

    assert result.stdout == "\ndlröw\nolleh"


def test_run_stdout_and_stderr_are_the_childs_separately(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep.ok(
        "run", "--env", "dev", "--",
        PY, "-c", "import sys; print('to-out'); print('to-err', file=sys.stderr)",
    )  # fmt: skip

    assert result.stdout == "to-out\n"
    assert result.stderr == "to-err\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signals_sent_to_envkeep_run_reach_the_child(
    envkeep: Envkeep, seeded: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    marker, ready = tmp_path / "marker", tmp_path / "ready"
    process = envkeep.popen(
        "run", "--env", "dev", "--service", "api", "--",
        PY, "-c", SIGNAL_CHILD, str(marker), str(ready),
    )  # fmt: skip
    try:
        wait_for_file(ready, process)
        process.send_signal(sig)
        _out, err = process.communicate(timeout=20)
    finally:
        process.kill()
        process.communicate()

    assert marker.read_text(encoding="utf-8") == f"{sig.name} 8080"
    assert process.returncode == 0, err


def test_the_command_starts_with_sigpipe_and_sigxfsz_not_ignored(
    envkeep: Envkeep, seeded: Path
) -> None:
    # Python ignores both at its start, and exec keeps an ignored signal ignored: a shell
    # script's `yes | head -1` would print "Broken pipe". The second run starts warm.
    runs = [envkeep.ok("run", "--env", "dev", "--", "grep", "SigIgn", "/proc/self/status")]
    runs.append(envkeep.ok("run", "--env", "dev", "--", "grep", "SigIgn", "/proc/self/status"))

    for run in runs:
        ignored = int(run.stdout.split()[1], 16)
        assert ignored & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1)) == 0, run.stdout


def test_run_with_an_unknown_command_exits_127_with_one_line(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("run", "--env", "dev", "--", "envkeep-test-no-such-command")

    assert result.code == 127
    assert result.err_lines[0] == "error: command not found: envkeep-test-no-such-command"
    assert len(result.err_lines) <= 2
    assert result.stdout == ""


def test_run_with_an_option_it_does_not_have_says_so_instead_of_running_it(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("run", "--project", "shop", "--env", "dev", "--", "echo", "ran")

    assert result.code == 2, result.describe()
    assert result.err_lines[0] == "error: envkeep run has no option --project"
    assert "after --" in result.stderr
    assert result.stdout == ""  # nothing ran


def test_run_with_a_file_that_is_not_executable_exits_126_like_a_shell(
    envkeep: Envkeep, seeded: Path
) -> None:
    script = seeded / "not-executable.sh"
    script.write_text("#!/bin/sh\necho ran\n", encoding="utf-8")
    script.chmod(0o644)

    result = envkeep("run", "--env", "dev", "--", "./not-executable.sh")

    assert result.err_lines[0].startswith("error: permission denied")
    assert result.code == 126  # POSIX: found but not executable is 126; 127 is "not found"


def test_run_help_falls_back_to_typer(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep.ok("run", "--help")

    assert "Usage: envkeep run" in result.stdout
    assert "--service" in result.stdout
    assert "Example:" in result.stdout


def test_run_help_says_stored_values_win_over_the_callers_variables(
    envkeep: Envkeep, seeded: Path
) -> None:
    # doppler run and dotenvx run disagree here, so users coming from either need telling.
    help_text = " ".join(envkeep.ok("run", "--help").stdout.split())

    assert "A stored value replaces a variable of the same name" in help_text
