"""`tests/server.interrupted_once_served` gives up on a server that says nothing within
`READY_SECONDS`: its wait for a line of stderr checked the deadline only once a line came, so
a server hung silent before `server_started` held the test (and the suite) without end."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

import tests.server
from tests.server import interrupted_once_served


def test_a_server_silent_past_the_deadline_fails_the_test_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tests.server, "READY_SECONDS", 1)
    silent = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()

    with pytest.raises(AssertionError, match="killed after 1 s silent"):
        interrupted_once_served(silent)

    assert time.monotonic() - started < 15
    assert silent.returncode == -9


def test_a_server_that_logs_server_started_is_stopped_by_sigint() -> None:
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job ignores it\n"
        "try:\n"
        "    print('server_started', file=sys.stderr, flush=True)\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped', flush=True)\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    out, err = interrupted_once_served(server)

    assert out == "stopped\n"
    assert "server_started" in err
    assert server.returncode == 0
