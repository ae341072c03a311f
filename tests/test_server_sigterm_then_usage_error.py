"""A SIGTERM held during `envkeep server`'s imports, then an error in its own options (a usage
error, a bad --config, a subcommand's own usage error): the process ends with that error's
message and status (2), at once.
It printed the error and then died by the held SIGTERM (143 to a shell), a status that says
"stopped as asked" under a message that says "fix the command line"."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.server import SIGTERM_WHILE_IMPORTING, _environ

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--port", "notanumber"], "invalid value for '--port'"),
        (["--config", "{bad}"], "must be a port number"),
        (["--port", "8600", "migrate"], "--port: only for serving"),
        # A subcommand's own options are parsed after `server`'s callback ran: that released
        # the held SIGTERM, which killed the process before the subcommand's usage error.
        (["migrate", "--port", "3"], "no such option: --port"),
        (["bootstrap"], "missing option '--email'"),
        (["--db", "sqlite:///a.db", "migrate", "--db", "sqlite:///b.db"], "--db is given twice"),
    ],
    ids=[
        "usage-error",
        "bad-config",
        "serving-option-to-migrate",
        "unknown-option-of-migrate",
        "missing-option-of-bootstrap",
        "db-twice-for-migrate",
    ],
)
def test_a_sigterm_during_the_imports_leaves_an_options_error_its_status_2(
    tmp_path: Path, options: list[str], said: str
) -> None:
    bad = tmp_path / "server.toml"
    bad.write_text('port = "x"\n')
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGTERM_WHILE_IMPORTING,
            "server",
            *(o.format(bad=bad) for o in options),
        ],
        capture_output=True,
        text=True,
        env=_environ(tmp_path / "home"),
        timeout=60,
        check=False,
    )
    assert (done.returncode, said in done.stderr) == (2, True), (done.returncode, done.stderr)
    assert "server_start_stopped" not in done.stderr
