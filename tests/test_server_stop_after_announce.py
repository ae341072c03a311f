"""A SIGTERM sent as soon as `envkeep server` has said "envkeep server on …" ends it as a stop
while starting (status 143 after a `server_start_stopped` line), never by the signal itself:
the handler was installed only once uvicorn was imported and the heap settled, tens of
milliseconds after the announce, and a stop meanwhile killed the process without a word."""

from __future__ import annotations

import signal
import subprocess
from typing import TYPE_CHECKING

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from pathlib import Path

TRIES = 4  # the window was 20-50 ms after the announce: each try hit it


def _stopped_as_announced(tmp_path: Path, url: str) -> tuple[int, str]:
    """Start a real server, SIGTERM it the moment its announce line is read; its status and
    what it wrote on stderr after the announce."""
    process = subprocess.Popen(
        [*ENVKEEP, "server", "--port", str(free_port()), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if line.startswith("envkeep server on "):
                process.send_signal(signal.SIGTERM)
                break
        else:
            raise AssertionError(f"no announce; status {process.wait(30)}")
        rest = process.stderr.read()
        return process.wait(30), rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_sigterm_right_after_the_announce_ends_the_start_with_143_and_a_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    ends = [_stopped_as_announced(tmp_path, url) for _ in range(TRIES)]
    assert [status for status, _ in ends] == [143] * TRIES, ends
    assert all("server_start_stopped" in rest for _, rest in ends), ends
    assert not any("could not start" in rest for _, rest in ends), ends
