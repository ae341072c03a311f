"""The README's ten-line tour runs as written, line after line, in an empty directory with a
fresh ENVKEEP_HOME: a reader pastes it first, and a line that fails there loses them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BASH = shutil.which("bash")


def tour() -> str:
    """The shell block under "A ten-line tour"."""
    found = re.search(
        r"## A ten-line tour\n+```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S
    )
    assert found is not None, "README.md has no ten-line tour"
    return found.group(1)


def test_the_tour_has_ten_lines() -> None:
    assert len(tour().splitlines()) == 10


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_the_readme_tour_runs_as_written_in_an_empty_directory(tmp_path: Path) -> None:
    assert BASH is not None
    bin_dir = str(Path(sys.executable).parent)  # the installed `envkeep` script
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    env |= {"PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "ENVKEEP_KEYRING": "off"}
    work = tmp_path / "work"
    work.mkdir()
    env["TMPDIR"] = str(tmp_path)  # the tour's `mktemp -d` home, removed with the test's

    done = subprocess.run(
        [BASH, "-e", "-c", tour()], cwd=work, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "8080 info\n" in done.stdout  # what `run` started saw
    assert "LOG_LEVEL is now version 3" in done.stderr  # the rollback wrote
