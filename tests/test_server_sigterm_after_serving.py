"""A SIGTERM that reaches `envkeep server` after it served, while it closes its sockets and its
database (its stop by Ctrl-C just done, say), ends it with 0 as a stop after serving does: the
start's handler (`start_sigterm.taken`) was back by then, and took it as a stop while starting,
a ``server_start_stopped`` line and 143 for a server that had served."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from typing import TYPE_CHECKING

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import _environ

if TYPE_CHECKING:
    from pathlib import Path

# The real start; once the server has stopped, a SIGTERM before the process ends.
SCRIPT = """\
import os, signal, sys, time
from envkeep.api import serve
from envkeep.cli import entry
real = serve.run_app
def then_sigterm(app, start):
    real(app, start)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
serve.run_app = then_sigterm
entry.main(sys.argv[1:])
"""


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_sigterm_after_the_server_served_ends_it_with_0_not_as_a_start_stopped(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "server", "--port", str(port), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
    )
    try:
        deadline = time.monotonic() + 120
        while not _answers(port):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the server did not answer in 120 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)  # served: its stop, then the SIGTERM
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert "server_stopped" in err, err
    assert "server_start_stopped" not in err, err
    assert process.returncode == 0, err
