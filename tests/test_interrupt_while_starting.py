"""A Ctrl-C while a command still imports (before its own handling of one) ends it as a Ctrl-C
later does: "interrupted" on stderr and exit 130, not a KeyboardInterrupt traceback and death by
the signal. Real processes: the console script's `main`, with a real SIGINT delivered while a
module of the command is being imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

# Sends this process SIGINT while `module` is imported, then runs the CLI as the console
# script does: the signal lands inside that import, as a Ctrl-C typed at that moment would.
_STARTER = textwrap.dedent(
    """
    import os, signal, sys
    module = sys.argv[1]

    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == module:
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, Interrupting())
    from envkeep.cli.entry import main
    main(sys.argv[2:])
    """
)


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("envkeep.cli.fast", ["env", "list"]),  # the first import of any command
        ("envkeep.cli.app", ["env", "list"]),  # Typer's application, before its own handling
        ("envkeep.cli.fast", ["run", "--", "true"]),
        ("envkeep.cli.app", ["server", "--port", "1"]),  # the server's start path
    ],
)
def test_a_ctrl_c_while_importing_says_interrupted_and_exits_130(
    module: str, args: list[str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STARTER, module, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "ENVKEEP_HOME": str(tmp_path), "ENVKEEP_KEYRING": "off"},
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.stderr == "interrupted\n"
    assert done.returncode == 130
