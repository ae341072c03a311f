"""`envkeep activate-all` over many services, against one service's export of the same project:
what each further service costs once start-up and reading the store are cancelled out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from _startup import _variables
from _workspace import Case, ModuleRun

if TYPE_CHECKING:
    from pathlib import Path

    from _workspace import Workspace

ACTIVATED_SERVICES = 150
SHARED_VARIABLES = 3_000
ACTIVATE_ARGS = ("activate-all", "--env", "dev")
EXPORT_ARGS = ("export", "--env", "dev", "--service", "svc000", "--format", "dotenv")


def _project_with_services(ws: Workspace) -> Path:
    """150 services with a directory each, every one seeing 3,000 shared variables; their
    .env files written once (the timed runs find them unchanged: the daily repeat)."""
    cwd = ws.new_project("bench-activate")
    for index in range(ACTIVATED_SERVICES):
        path = f"services/svc{index:03d}"
        (cwd / path).mkdir(parents=True)
        ws.envkeep(cwd, "service", "add", f"svc{index:03d}", "--path", path)
    dotenv = ws.root / "bench-activate.env"
    pairs = _variables(SHARED_VARIABLES)
    dotenv.write_text("".join(f"{key}={value}\n" for key, value in pairs.items()))
    ws.envkeep(cwd, "import", str(dotenv), "--env", "dev", "--service", "-")
    ws.envkeep(cwd, *ACTIVATE_ARGS)
    written = (cwd / "services/svc149/.env").read_text()
    missing = [key for key, value in pairs.items() if f"{key}={value}\n" not in written]
    if missing:
        sys.exit(f"bench: activate-all did not write {len(missing)} variables, e.g. {missing[0]}")
    return cwd


def prepare_activate_all(ws: Workspace) -> Case:
    """`activate-all` of 150 services against `export` of one of them."""
    cwd = _project_with_services(ws)
    return Case(
        subject=ws.command([ws.envkeep_script, *ACTIVATE_ARGS], cwd),
        baseline=ws.command([ws.envkeep_script, *EXPORT_ARGS], cwd),
        profile=ModuleRun("envkeep", ACTIVATE_ARGS),
    )
