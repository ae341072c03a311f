"""`make run`: a short tour of envkeep on its embedded store, in a throw-away directory.

Each step prints the command it runs, then runs the real `envkeep` console script.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENVKEEP = str(Path(sys.executable).with_name("envkeep"))

STEPS = [
    ["init", "shop"],
    ["service", "add", "api", "--path", "services/api"],
    ["service", "add", "worker", "--path", "services/worker"],
    ["set", "DATABASE_URL=postgres://db.internal/shop", "LOG_LEVEL=info", "--env", "dev"],
    ["set", "PORT=8080", "LOG_LEVEL=debug", "--env", "dev", "--service", "api"],
    ["list", "--env", "dev", "--service", "api"],
    ["get", "PORT", "--env", "dev", "--service", "api"],
    [
        "run",
        "--env",
        "dev",
        "--service",
        "api",
        "--",
        sys.executable,
        "-c",
        "import os; print('api sees', os.environ['PORT'], os.environ['LOG_LEVEL'])",
    ],
    ["export", "--env", "dev", "--service", "api", "--format", "dotenv"],
    ["set", "DATABASE_URL=postgres://db.internal/shop_v2", "--env", "dev"],
    ["history", "DATABASE_URL", "--env", "dev", "--reveal"],
    ["rollback", "DATABASE_URL", "--env", "dev", "--to", "1"],
    ["get", "DATABASE_URL", "--env", "dev"],
    ["env", "list"],
]


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="envkeep-demo-"))
    env = {**os.environ, "ENVKEEP_HOME": str(root / "home"), "ENVKEEP_KEYRING": "off"}
    project = root / "shop"
    for service in ("api", "worker"):
        (project / "services" / service).mkdir(parents=True)
    print(f"# demo project in {project} (ENVKEEP_HOME={env['ENVKEEP_HOME']})\n")
    try:
        for step in STEPS:
            print(f"$ envkeep {shlex.join(step)}", flush=True)
            done = subprocess.run([ENVKEEP, *step], cwd=project, env=env, check=False)
            if done.returncode != 0:
                print(f"demo step failed with exit code {done.returncode}", file=sys.stderr)
                return done.returncode
            print(flush=True)
        store = Path(env["ENVKEEP_HOME"]) / "store" / "envkeep.db"
        leaked = b"postgres://db.internal" in store.read_bytes()
        print(f"# the database at {store} holds the values in clear text: {leaked}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("# done: try it yourself with .venv/bin/envkeep --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
