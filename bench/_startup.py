"""Benchmarks of `envkeep run` as a child process: start-up, and how it grows with variables."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from _workspace import Case, ModuleRun

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from _workspace import Workspace

RUN_VARIABLES = 100
MANY_VARIABLES = 10_000
RUN_ARGS = ("run", "--env", "dev", "--", "true")
# `run` without its warm start (client/runcache.py): every run opens, resolves and validates.
COLD = {"ENVKEEP_RUN_CACHE": "off"}

_FILLER = "abcdefghijklmnopqrstuvwxyz0123456789"


def _variable_value(index: int) -> str:
    """A 40-character value, different for every variable."""
    return (f"value-{index:03d}-" + _FILLER)[:40]


def _variables(count: int) -> dict[str, str]:
    width = max(3, len(str(count - 1)))
    return {f"NAME_{i:0{width}d}": _variable_value(i) for i in range(count)}


def _check_run_passes(ws: Workspace, cwd: Path, pairs: Mapping[str, str]) -> None:
    """The timed command must do the real work: check that the child sees every value."""
    printed = ws.envkeep(cwd, "run", "--env", "dev", "--", "env")
    seen = dict(line.partition("=")[::2] for line in printed.splitlines())
    missing = [name for name, value in pairs.items() if seen.get(name) != value]
    if missing:
        sys.exit(f"bench: `envkeep run` did not pass {len(missing)} variables, e.g. {missing[0]}")


def _project_set(ws: Workspace, name: str, count: int) -> Path:
    """A project whose dev environment holds ``count`` variables, written by one `set`."""
    cwd = ws.new_project(name)
    pairs = _variables(count)
    ws.envkeep(cwd, "set", *(f"{key}={value}" for key, value in pairs.items()), "--env", "dev")
    _check_run_passes(ws, cwd, pairs)
    return cwd


def project_imported(ws: Workspace, name: str, count: int) -> Path:
    """A project whose dev environment holds ``count`` variables, from one `import` of a .env
    file (one `set` with 10,000 arguments would outgrow the argument list)."""
    cwd = ws.new_project(name)
    pairs = _variables(count)
    dotenv = ws.root / f"{name}.env"
    dotenv.write_text("".join(f"{key}={value}\n" for key, value in pairs.items()))
    ws.envkeep(cwd, "import", str(dotenv), "--env", "dev")
    _check_run_passes(ws, cwd, pairs)
    return cwd


def prepare_run(ws: Workspace) -> Case:
    """`envkeep run` with 100 variables against the venv's `python -c pass`."""
    cwd = _project_set(ws, "bench", RUN_VARIABLES)
    return Case(
        subject=ws.command([ws.envkeep_script, *RUN_ARGS], cwd),
        baseline=ws.python_pass(cwd),
        profile=ModuleRun("envkeep", RUN_ARGS),
    )


def prepare_run_many(ws: Workspace) -> Case:
    """`envkeep run` with 10,000 variables against the same command with 100: what each
    further variable costs, start-up cancelled out."""
    many = project_imported(ws, "bench-10k", MANY_VARIABLES)
    few = _project_set(ws, "bench-100", RUN_VARIABLES)
    return Case(
        subject=ws.command([ws.envkeep_script, *RUN_ARGS], many),
        baseline=ws.command([ws.envkeep_script, *RUN_ARGS], few),
        profile=ModuleRun("envkeep", RUN_ARGS),
    )


def prepare_run_cold(ws: Workspace) -> Case:
    """`prepare_run` with the run cache off: what the first run after a change costs."""
    cwd = _project_set(ws, "bench-cold", RUN_VARIABLES)
    return Case(
        subject=ws.command([ws.envkeep_script, *RUN_ARGS], cwd, COLD),
        baseline=ws.python_pass(cwd),
        profile=ModuleRun("envkeep", RUN_ARGS),
    )


def prepare_run_many_cold(ws: Workspace) -> Case:
    """`prepare_run_many` with the run cache off on both sides."""
    many = project_imported(ws, "bench-10k-cold", MANY_VARIABLES)
    few = _project_set(ws, "bench-100-cold", RUN_VARIABLES)
    return Case(
        subject=ws.command([ws.envkeep_script, *RUN_ARGS], many, COLD),
        baseline=ws.command([ws.envkeep_script, *RUN_ARGS], few, COLD),
        profile=ModuleRun("envkeep", RUN_ARGS),
    )
