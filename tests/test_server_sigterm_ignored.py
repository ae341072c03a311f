"""`envkeep server` started with SIGTERM ignored (its parent's choice, inherited) ignores one
during its imports and its app's building, as it did before the start held SIGTERM: the hold
took the signal as a stop while starting, ending the start with 143 that the parent had said
to ignore. Serving, uvicorn takes SIGTERM and SIGINT as its stop, as before."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import SIGTERM_WHILE_IMPORTING, _environ, interrupted_once_served

if TYPE_CHECKING:
    from pathlib import Path


def _ignore_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def test_an_ignored_sigterm_during_the_start_is_still_ignored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SIGTERM_WHILE_IMPORTING,
            "server",
            "--port",
            str(free_port()),
            "--db",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
        preexec_fn=_ignore_sigterm,  # noqa: PLW1509 - the child's inherited disposition
    )
    _out, said = interrupted_once_served(process)
    assert "server_start_stopped" not in said, said
    assert process.returncode == 0, said
