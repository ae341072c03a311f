"""cProfile of the work `envkeep run` does before it execs, in this process, for many variables.

    .venv/bin/python bench/profile_run.py                       # 10,000 variables, 5 runs
    .venv/bin/python bench/profile_run.py --variables 100 --sort cumulative --top 40

Sets up a throw-away project as the `run-10k` benchmark does (one `envkeep import` of a .env
file), then calls `make_context()` and `resolved_values(ctx, "dev", None, validate=True)` (what
`envkeep run --env dev` calls before exec) once to warm up and ``--runs`` times under cProfile,
and prints the top functions. Imports are paid before profiling, so this shows per-variable
work, which `--profile` (imports only) of `run_bench.py` does not. A run's wall time without
the profiler is printed first, for comparison with the benchmark's subprocess figure.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _startup import MANY_VARIABLES, project_imported
from _timing import timing_environment
from _workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Sequence


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else None)
    parser.add_argument("--variables", type=int, default=MANY_VARIABLES, metavar="N")
    parser.add_argument("--runs", type=int, default=5, metavar="N", help="profiled runs")
    parser.add_argument("--top", type=int, default=30, metavar="N", help="functions to print")
    parser.add_argument(
        "--sort", default="tottime", choices=["tottime", "cumulative", "ncalls"], help="order"
    )
    args = parser.parse_args(argv)
    if args.variables < 1 or args.runs < 1:
        parser.error("--variables and --runs need at least 1")
    return args


def _resolve_once(expected: int) -> None:
    """One `envkeep run`'s work up to exec: a fresh context, resolved and validated values."""
    from envkeep.cli.state import make_context
    from envkeep.client.resolving import resolved_values

    ctx = make_context()
    try:
        values = resolved_values(ctx, "dev", None, validate=True)
    finally:
        ctx.close()
    if len(values) != expected:
        sys.exit(f"profile: resolved {len(values)} variables, expected {expected}")


def _profile(expected: int, runs: int) -> tuple[cProfile.Profile, list[float]]:
    _resolve_once(expected)  # imports, and the verified-signature cache, as a warm run has them
    walls: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        _resolve_once(expected)
        walls.append(time.perf_counter() - start)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        _resolve_once(expected)
    profiler.disable()
    return profiler, walls


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    bin_dir = Path(sys.executable).parent
    if sys.prefix == sys.base_prefix or not (bin_dir / "envkeep").exists():
        sys.exit("profile: run me with the project's venv (.venv/bin/python ...)")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    start_dir = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="envkeep-profile-") as tmp:
        root = Path(tmp)
        env = timing_environment(
            inherited,
            {"ENVKEEP_HOME": str(root / "home"), "ENVKEEP_KEYRING": "off", "CI": "1"},
        )
        cwd = project_imported(Workspace(root, bin_dir, env), "profile", args.variables)
        # envkeep reads its settings from this process's environment and the project from cwd.
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        try:
            profiler, walls = _profile(args.variables, args.runs)
        finally:
            os.chdir(start_dir)
    print(
        f"{args.variables:,} variables: make_context + resolved_values(validate=True),"
        f" median {statistics.median(walls) * 1000:.1f} ms a run without the profiler;"
        f" {args.runs} runs profiled"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
