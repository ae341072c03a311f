"""`envkeep server` configures its logging once, where it starts (`server_cmds._serve`, before
anything logs), and `run_app` logs through it: both set structlog up, the second undoing
nothing but repeating it. A real server process in each format: one configuration, its
start and stop lines once each, every line in the format asked for."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import _environ, interrupted_once_served

if TYPE_CHECKING:
    from pathlib import Path

# The console script, structlog's configurations counted (said on stdout at exit).
SCRIPT = """\
import atexit, sys
import structlog
from envkeep.cli import entry
real, calls = structlog.configure, []
def counted(*args, **kwargs):
    calls.append(kwargs)
    return real(*args, **kwargs)
structlog.configure = counted
atexit.register(lambda: print("configured:", len(calls), flush=True))
entry.main(sys.argv[1:])
"""


def _served_then_stopped(tmp_path: Path, log_format: str) -> tuple[int, str, str]:
    """A real server in ``log_format``, stopped with SIGINT once it served: status, out, err."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    args = ["server", "--port", str(free_port()), "--db", url, "--log-format", log_format]
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
    )
    out, err = interrupted_once_served(process)
    return process.returncode, out, err


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_started_server_configures_its_logging_once_and_logs_each_line_once(
    tmp_path: Path, log_format: str
) -> None:
    status, out, err = _served_then_stopped(tmp_path, log_format)
    assert (status, "configured: 1" in out.splitlines()) == (0, True), (status, out, err)
    lines = [line for line in err.splitlines() if "server_st" in line]
    events = [re.findall(r"server_(?:started|stopped)", line) for line in lines]
    assert events == [["server_started"], ["server_stopped"]], err
    if log_format == "json":
        assert [json.loads(line)["event"] for line in lines] == ["server_started", "server_stopped"]
    else:
        assert all(re.match(r"\S+ \[info\s*\] server_st", line) for line in lines), lines
