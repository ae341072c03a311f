"""`run` ends with its command's status, whatever its number (it execs the command), envkeep's
own codes included: README's table of exit codes says so beside them, and how a script tells
envkeep's own from the command's (the `error:` line on stderr before the command starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _exit_codes_section() -> str:
    return README.read_text(encoding="utf-8").split("## Exit codes", 1)[1].split("\n## ", 1)[0]


def test_readme_says_run_passes_its_commands_status_and_how_to_tell_envkeeps_own() -> None:
    said = " ".join(_exit_codes_section().split())

    assert "the status is the command's own, whatever its number" in said
    assert "Its own (1-5, 126, 127) come only before the command starts" in said
    assert "with an `error:` line on stderr" in said


@pytest.mark.parametrize("status", [3, 6, 7])
def test_run_ends_with_its_commands_status_even_one_of_envkeeps_own_codes(
    tmp_path: Path, status: int
) -> None:
    envkeep = Path(sys.executable).with_name("envkeep")
    (tmp_path / "home").mkdir()
    values = tmp_path / "values.env"
    values.write_text("A=1\n", encoding="utf-8")
    done = subprocess.run(
        [str(envkeep), "run", "-f", str(values), "--", "sh", "-c", f"exit {status}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "ENVKEEP_HOME": str(tmp_path / "home")},
    )

    assert done.returncode == status, done.stderr
    assert "error:" not in done.stderr
