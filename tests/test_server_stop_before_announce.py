"""A SIGTERM that reaches `envkeep server` during its imports or while it builds its app, before
it says "envkeep server on …", ends it as a stop while starting (status 143 after a
`server_start_stopped` line), as one after the announce does: SIGTERM's default action killed
it without a word (-15 to a parent) for the first second or so of every start.

The earliest point covered is the moment the process has a SIGTERM handler (read in
/proc/PID/status): before it, the interpreter itself is starting and nothing of envkeep runs."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import ENVKEEP, SIGTERM_WHILE_IMPORTING, _environ

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads a process's handlers in /proc"
)

# Seconds after the handler is there; the imports and the app's building take about a second.
DELAYS = (0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.35)


def _takes_sigterm(pid: int) -> bool:
    """Whether process ``pid`` has a handler of its own for SIGTERM (``SigCgt``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def _stopped_after(tmp_path: Path, url: str, port: int, delay: float) -> tuple[int, str]:
    """A real server SIGTERMed ``delay`` seconds after it took SIGTERM; its status, stderr."""
    process = subprocess.Popen(
        [*ENVKEEP, "server", "--port", str(port), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
    )
    try:
        deadline = time.monotonic() + 30
        while not _takes_sigterm(process.pid):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no SIGTERM handler after 30 s"
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
        return process.returncode, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_sigterm_before_the_announce_ends_the_start_with_143_and_a_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    port = free_port()
    for delay in DELAYS:
        status, err = _stopped_after(tmp_path, url, port, delay)
        assert (status, "server_start_stopped" in err) == (143, True), (delay, status, err)
        assert "envkeep server on" not in err, (delay, err)  # stopped before it was said
        assert "could not start" not in err, (delay, err)
        socket.create_server(("127.0.0.1", port)).close()  # its port free again


def test_sigterm_to_a_server_subcommand_still_kills_it(tmp_path: Path) -> None:
    """Held during the imports, a SIGTERM to `server migrate` (no server to stop) ends it as
    SIGTERM's default action does, once the command is known: not ignored."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SIGTERM_WHILE_IMPORTING, "server", "migrate", "--db", url],
        capture_output=True,
        text=True,
        env=_environ(tmp_path / "home"),
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert "database schema" not in done.stderr  # killed before it migrated
