"""Instructions a one-variable write costs a server process, counted by valgrind's callgrind.

``server-writes`` times writes on a shared host whose speed moves by a third between runs, so a
change of a few per cent to the write path cannot be told from the host in its figures. This
counts instead: the server runs under ``valgrind --tool=callgrind`` with counting off, gets the
benchmark's set-up and a warm-up of writes (imports, caches and the first statements are not
counted), then counting is switched on (``callgrind_control -i on``) for ``--writes`` writes
from one client, exactly as ``server-writes`` sends them, and off again. The figure is the
server process's instructions over those writes, divided by their number (every thread of the
process; the COMMIT's fsync costs time, not instructions, so it is not in it). The same is
counted for the bare uvicorn + Starlette route of ``server-writes-floor``, for reference.

    .venv/bin/python bench/count_writes.py [--writes 300]   # needs valgrind (apt install valgrind)

Repeated runs on one commit agree within about 1 %; a run takes two to three minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from _load import Load, sequential
from _servers import Wrapper, envkeep_server, hello_server
from _team_server import _write_requests, seed
from _timing import timing_environment
from _workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _load import Request
    from _servers import Server

WARMUP = 50
# How long a write under valgrind may take to be answered: many times a plain one, and more
# on a loaded host (the benchmarks' 3 s abandoned writes there).
ANSWER_WAIT = 120.0


def _venv_bin() -> Path:
    # sys.executable as given (a venv's python is a symlink: resolving it leaves the venv).
    bin_dir = Path(sys.executable).parent
    if sys.prefix == sys.base_prefix or not (bin_dir / "envkeep").exists():
        sys.exit("count_writes: run me with the project's venv (.venv/bin/python ...)")
    return bin_dir


def _callgrind(out: Path) -> Wrapper:
    argv = ("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}")
    return Wrapper(argv, start_seconds=600.0, stop_seconds=300.0)


def _counted(server: Server, requests: Iterator[Request], writes: int) -> Load:
    """Warm up, then ``writes`` writes with the server's counting on."""

    def ask(count: int) -> Load:
        load = sequential(
            server.port, lambda _: next(requests), count=count, seconds=3600.0, grace=ANSWER_WAIT
        )
        if set(load.statuses) != {200}:
            raise RuntimeError(f"the server answered {load.statuses}")
        return load

    ask(WARMUP)
    _switch(server, "on")
    try:
        return ask(writes)
    finally:
        _switch(server, "off")


def _switch(server: Server, state: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", state, str(server.pid)], check=True, capture_output=True
    )


def _instructions(out: Path) -> int:
    """The ``totals`` line of a callgrind output file (the instructions counted)."""
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise RuntimeError(f"{out} holds no totals line")


def count(ws: Workspace, writes: int) -> dict[str, int]:
    """Instructions per write of `envkeep server` and of the floor's route."""
    per_write: dict[str, int] = {}

    def envkeep(out: Path) -> Load:
        with envkeep_server(ws, ws.root / "envkeep", _callgrind(out)) as (server, database):
            account = seed(ws, server, database)
            path = f"{account.environment_path}/secrets"
            requests = _write_requests(server.port, path, WARMUP + writes, account.headers)
            return _counted(server, requests, writes)

    def floor(out: Path) -> Load:
        with hello_server(ws, ws.root / "floor", ws.root / "rows.db", _callgrind(out)) as hello:
            requests = _write_requests(hello.port, "/rows", WARMUP + writes)
            return _counted(hello, requests, writes)

    runs: dict[str, Callable[[Path], Load]] = {
        "envkeep server (server-writes)": envkeep,
        "floor (server-writes-floor)": floor,
    }
    for name, run in runs.items():
        out = ws.root / f"{name.split()[0]}.callgrind"
        run(out)
        per_write[name] = _instructions(out) // writes
    return per_write


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=300, help="writes counted (default 300)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("count_writes: valgrind is not installed (apt install valgrind)", file=sys.stderr)
        return 2
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    with tempfile.TemporaryDirectory(prefix="envkeep-count-") as tmp:
        root = Path(tmp)
        env = timing_environment(
            inherited,
            {"ENVKEEP_HOME": str(root / "home"), "ENVKEEP_KEYRING": "off", "CI": "1"},
        )
        ws = Workspace(root, _venv_bin(), env)
        print(f"instructions per one-variable write, {args.writes} writes after {WARMUP}:")
        for name, instructions in count(ws, args.writes).items():
            print(f"  {name:<32} {instructions / 1e6:6.3f} M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
