"""A SIGTERM the instant `start_sigterm.taken` has set its handler, before its next statement:
it still ends the start (`server_start_stopped`, 143) and SIGTERM's action is given back, as
after any stop while starting; one the parent set to be ignored stays ignored. The handler ran
inside `taken.__enter__`, whose exception skipped `__exit__`: the handler stayed for the
process's end, and an ignored SIGTERM stopped the start. One the instant `hold` has set its
handler is held too: `hold` set the count back to 0 after, and the start served. A real
process each, the signal sent by `_signal.signal` itself right after it set the handler."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

SCRIPT = """\
import _signal, os, signal, sys
from envkeep.api import start_sigterm
from envkeep.api.requestlog import configure_logging

class SentAtOnce:
    '''`_signal` whose `signal` lets a SIGTERM in the moment it has set `taken`'s handler.'''
    def __getattr__(self, name):
        return getattr(_signal, name)
    def signal(self, signum, action):
        kept = _signal.signal(signum, action)
        if getattr(action, "__name__", "") == sys.argv[2]:
            os.kill(os.getpid(), signal.SIGTERM)
        return kept

if sys.argv[1] == "ignored":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
configure_logging()
start_sigterm._signal = SentAtOnce()
if sys.argv[1] == "held":  # as the console script does, from its first lines
    start_sigterm.hold()
try:
    with start_sigterm.taken("127.0.0.1:8600"):
        print("started", flush=True)
except SystemExit as ended:
    print("ended:", ended.code, flush=True)
print("then:", signal.getsignal(signal.SIGTERM), flush=True)
"""


def _run(disposition: str, at: str = "_stopped") -> subprocess.CompletedProcess[str]:
    """The script with SIGTERM's ``disposition``, the signal sent as the handler ``at`` is set."""
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, disposition, at],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("disposition", ["default", "held"])
def test_a_sigterm_as_the_handler_is_set_stops_the_start_and_gives_sigterm_back(
    disposition: str,
) -> None:
    done = _run(disposition)
    assert done.stdout.splitlines() == ["ended: 143", f"then: {int(signal.SIG_DFL)}"], done
    assert "server_start_stopped" in done.stderr


def test_an_ignored_sigterm_as_the_start_takes_it_stays_ignored() -> None:
    done = _run("ignored")
    assert done.stdout.splitlines() == ["started", f"then: {int(signal.SIG_IGN)}"], done
    assert "server_start_stopped" not in done.stderr


def test_a_sigterm_as_the_hold_begins_is_held_and_stops_the_start() -> None:
    """`hold` counted it, then set its count back to 0: the start went on to serve."""
    done = _run("held", at="_remember")
    assert done.stdout.splitlines() == ["ended: 143", f"then: {int(signal.SIG_DFL)}"], done
    assert "server_start_stopped" in done.stderr
