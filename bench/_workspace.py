"""Where benchmarks set up: a throw-away ENVKEEP_HOME with projects, and what a case times."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _timing import Command

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from _timing import Timed


@dataclass(frozen=True)
class Workspace:
    """A throw-away ENVKEEP_HOME and projects, and the venv whose commands are timed."""

    root: Path
    bin: Path
    env: Mapping[str, str]

    @property
    def python(self) -> str:
        # The venv's python, not the base interpreter behind it (whose site hooks are slow).
        return str(self.bin / "python")

    @property
    def envkeep_script(self) -> str:
        return str(self.bin / "envkeep")

    def command(
        self, argv: Sequence[str], cwd: Path, extra_env: Mapping[str, str] | None = None
    ) -> Command:
        return Command(tuple(argv), {**self.env, **(extra_env or {})}, cwd)

    def python_pass(self, cwd: Path) -> Command:
        """The venv's `python -c pass`: what any Python command costs before its own work."""
        return self.command([self.python, "-c", "pass"], cwd)

    def envkeep(self, cwd: Path, *args: str) -> str:
        """Run one set-up command; its stdout, or exit with what went wrong."""
        return checked_output([self.envkeep_script, *args], self.env, cwd)

    def new_project(self, name: str) -> Path:
        """A directory holding a fresh `envkeep init NAME` project (default env: dev)."""
        cwd = self.root / name
        cwd.mkdir()
        self.envkeep(cwd, "init", name)
        return cwd


@dataclass(frozen=True)
class ModuleRun:
    """The subject as `python -m MODULE ARGS`, for import profiles."""

    module: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """What one benchmark runs: the subject, its baseline, and the subject under -X importtime
    (only for a subject that is a command)."""

    subject: Timed
    baseline: Timed
    profile: ModuleRun | None = None


def checked_output(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> str:
    """The stdout of a set-up command, or exit with its stderr when it fails."""
    done = subprocess.run(
        list(argv), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(
            f"bench: set-up command failed ({done.returncode}): {' '.join(argv)}\n"
            f"{done.stderr.strip()}"
        )
    return done.stdout
