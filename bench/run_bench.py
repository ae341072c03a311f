"""Benchmarks: `make bench` (or `.venv/bin/python bench/run_bench.py`).

Each benchmark times a subject against a baseline from the same run in this venv (commands in
child processes, or calls in this process), and compares median(subject) / median(baseline)
with a goal. A MISS is reported, not failed: the exit status is 0 unless a benchmark could not
run at all.

Two kinds of benchmark, each with its comparison direction written in its goal:

- `Benchmark`: wall times (commands or calls); ratio = median(subject) / median(baseline),
  lower is better, goal `<= N`.
- `ServerBenchmark`: throughput of a server on 127.0.0.1 (requests or writes per second, with
  p50/p99 latency); ratio = rate(subject) / rate(baseline), higher is better, goal `>= N`.

    --quick          fewer repetitions (a rough figure in a few seconds)
    --only NAME      just this benchmark (repeatable)
    --repeat N       N timed runs of each subject and baseline (default 30, 10 with --quick;
                     server benchmarks have their own counts, smaller with --quick)
    --profile        instead of timing, print the subject's biggest imports (-X importtime)

To add a benchmark, write a function that prepares a `Case` in a `Workspace` and append a
`Benchmark` to `BENCHMARKS` (or, for a server, a function measuring `Rates` with a given
`Effort` and a `ServerBenchmark`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from _activation import ACTIVATED_SERVICES, SHARED_VARIABLES, prepare_activate_all
from _load import LoadError
from _resolution import SERVICES, VARIABLES, prepare_resolve_validate
from _servers import ServerError
from _startup import (
    MANY_VARIABLES,
    RUN_VARIABLES,
    prepare_run,
    prepare_run_cold,
    prepare_run_many,
    prepare_run_many_cold,
)
from _team_server import (
    CONCURRENT_WRITES,
    CONCURRENT_WRITES_QUICK,
    READ_CLIENTS,
    READ_VARIABLES,
    READS,
    READS_QUICK,
    WRITE_CLIENTS,
    WRITES,
    WRITES_QUICK,
    Effort,
    Rates,
    measure_concurrent_writes,
    measure_reads,
    measure_writes,
    measure_writes_default_journal,
    measure_writes_floor,
)
from _timing import (
    CALLERS,
    Command,
    ImportRecord,
    Summary,
    median_imports,
    parse_callers,
    parse_importtime,
    summarise,
    time_interleaved,
    timing_environment,
)
from _workspace import Workspace, checked_output

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from _load import Rate
    from _workspace import Case

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 3
TOP_IMPORTS = 25
TOP_SELF = 10


@dataclass(frozen=True)
class Benchmark:
    """Wall times: ratio = median(subject) / median(baseline), lower is better."""

    name: str
    subject: str
    baseline: str
    goal_ratio: float
    prepare: Callable[[Workspace], Case]
    # A figure printed for reference beside a goal it does not itself carry (the cold `run`
    # beside the warm one); left out of the count of goals met.
    reference: bool = False

    @property
    def goal(self) -> str:
        return "(ref)" if self.reference else f"<= {self.goal_ratio:.2f}"


@dataclass(frozen=True)
class ServerBenchmark:
    """Throughput: ratio = rate(subject) / rate(baseline), higher is better."""

    name: str
    subject: str
    baseline: str
    goal_ratio: float
    unit: str  # what one request is, per second: "req", "write"
    effort: Effort
    quick_effort: Effort
    measure: Callable[[Workspace, Effort], Rates]
    reference: bool = False  # as Benchmark.reference: printed, no goal of its own

    @property
    def goal(self) -> str:
        return "(ref)" if self.reference else f">= {self.goal_ratio:.2f}"


@dataclass(frozen=True)
class Result:
    benchmark: Benchmark
    subject: Summary
    baseline: Summary

    @property
    def ratio(self) -> float:
        return self.subject.median / self.baseline.median

    @property
    def passed(self) -> bool:
        return self.ratio <= self.benchmark.goal_ratio

    @property
    def verdict(self) -> str:
        if self.benchmark.reference:
            return "-"
        return "PASS" if self.passed else "MISS"

    def figures(self) -> tuple[str, str]:
        return _ms(self.subject.median), _ms(self.baseline.median)


@dataclass(frozen=True)
class RateResult:
    benchmark: ServerBenchmark
    rates: Rates

    @property
    def ratio(self) -> float:
        return self.rates.subject.per_second / self.rates.baseline.per_second

    @property
    def failed_requests(self) -> int:
        return sum(self.rates.subject.errors.values()) + sum(self.rates.baseline.errors.values())

    @property
    def passed(self) -> bool:
        # A server that answers errors under load does not meet its goal, however fast it is.
        return self.ratio >= self.benchmark.goal_ratio and not self.failed_requests

    @property
    def verdict(self) -> str:
        if self.benchmark.reference:
            return "FAILED" if self.failed_requests else "-"
        return "PASS" if self.passed else "MISS"

    def figures(self) -> tuple[str, str]:
        return _per_second(self.rates.subject), _per_second(self.rates.baseline)


# --- benchmarks ------------------------------------------------------------------------------

# The write benchmarks' baseline (`_team_server.RawSqlite`), and the same on sqlite3's defaults.
RAW_SQLITE = "sqlite3 WAL + synchronous=FULL, one row a transaction, commit each"
RAW_SQLITE_DEFAULTS = (
    "sqlite3 as sqlite3.connect opens a file (rollback journal, synchronous=FULL),"
    " one row a transaction, commit each"
)

BENCHMARKS: tuple[Benchmark | ServerBenchmark, ...] = (
    Benchmark(
        name="run",
        subject=f"envkeep run --env dev -- true ({RUN_VARIABLES} variables)",
        baseline="python3 -c pass",
        goal_ratio=2.5,
        prepare=prepare_run,
    ),
    Benchmark(
        name="run-cold",
        subject=f"envkeep run --env dev -- true ({RUN_VARIABLES} variables), run cache off",
        baseline="python3 -c pass",
        goal_ratio=2.5,
        prepare=prepare_run_cold,
        reference=True,
    ),
    Benchmark(
        name="resolve-validate",
        subject=f"resolve + validate {SERVICES} services x {VARIABLES} variables, in-process",
        baseline="the same dicts built in plain Python",
        goal_ratio=5.0,
        prepare=prepare_resolve_validate,
    ),
    Benchmark(
        name="run-10k",
        subject=f"envkeep run --env dev -- true ({MANY_VARIABLES:,} variables)",
        baseline=f"the same with {RUN_VARIABLES} variables",
        goal_ratio=2.0,
        prepare=prepare_run_many,
    ),
    Benchmark(
        name="run-10k-cold",
        subject=f"envkeep run --env dev -- true ({MANY_VARIABLES:,} variables), run cache off",
        baseline=f"the same with {RUN_VARIABLES} variables, run cache off",
        goal_ratio=2.0,
        prepare=prepare_run_many_cold,
        reference=True,
    ),
    Benchmark(
        name="activate-all-150",
        subject=(
            f"envkeep activate-all --env dev, {ACTIVATED_SERVICES} services x"
            f" {SHARED_VARIABLES:,} shared variables, files unchanged"
        ),
        baseline="envkeep export of one of those services",
        goal_ratio=5.0,
        prepare=prepare_activate_all,
    ),
    ServerBenchmark(
        name="server-reads",
        subject=(
            f"envkeep server, GET snapshot of {READ_VARIABLES} variables,"
            f" {READ_CLIENTS} clients, 1 worker, SQLite"
        ),
        baseline=f"uvicorn + Starlette JSON hello-world, {READ_CLIENTS} clients",
        goal_ratio=0.30,
        unit="req",
        effort=READS,
        quick_effort=READS_QUICK,
        measure=measure_reads,
    ),
    ServerBenchmark(
        name="server-writes",
        subject="envkeep server, POST secrets (a batch of one new variable), one at a time",
        baseline=RAW_SQLITE,
        goal_ratio=0.25,
        unit="write",
        effort=WRITES,
        quick_effort=WRITES_QUICK,
        measure=measure_writes,
    ),
    ServerBenchmark(
        name="server-writes-floor",
        subject=(
            "uvicorn + Starlette route inserting the same one-variable body (no envkeep),"
            " one at a time"
        ),
        baseline=RAW_SQLITE,
        goal_ratio=0.25,
        unit="write",
        effort=WRITES,
        quick_effort=WRITES_QUICK,
        measure=measure_writes_floor,
        reference=True,
    ),
    ServerBenchmark(
        name="server-writes-default-journal",
        subject="envkeep server, POST secrets (a batch of one new variable), one at a time",
        baseline=RAW_SQLITE_DEFAULTS,
        goal_ratio=0.25,
        unit="write",
        effort=WRITES,
        quick_effort=WRITES_QUICK,
        measure=measure_writes_default_journal,
        reference=True,
    ),
    ServerBenchmark(
        name="server-writes-64",
        subject=(
            "envkeep server, POST secrets (a batch of one new variable),"
            f" {WRITE_CLIENTS} clients, 1 worker, SQLite"
        ),
        baseline=RAW_SQLITE,
        goal_ratio=0.25,
        unit="write",
        effort=CONCURRENT_WRITES,
        quick_effort=CONCURRENT_WRITES_QUICK,
        measure=measure_concurrent_writes,
        reference=True,
    ),
)


# --- timing ----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def _per_second(rate: Rate) -> str:
    return f"{rate.per_second:8.1f} /s"


def measure(benchmark: Benchmark, case: Case, repeats: int) -> Result:
    subject, baseline = time_interleaved(
        case.subject, case.baseline, repeats=repeats, warmup=WARMUP
    )
    result = Result(benchmark, summarise(subject), summarise(baseline))
    print(f"\n{benchmark.name}: {benchmark.subject}, against {benchmark.baseline}")
    for label, summary in (("subject ", result.subject), ("baseline", result.baseline)):
        print(
            f"  {label}  median {_ms(summary.median)}  p90 {_ms(summary.p90)}  (n={summary.count})"
        )
    if benchmark.reference:
        print(f"  ratio     {result.ratio:.2f}  (for reference: no goal of its own)")
    else:
        print(f"  ratio     {result.ratio:.2f}  (goal {benchmark.goal})  {result.verdict}")
    return result


def measure_server(benchmark: ServerBenchmark, ws: Workspace, *, quick: bool) -> RateResult:
    effort = benchmark.quick_effort if quick else benchmark.effort
    result = RateResult(benchmark, benchmark.measure(ws, effort))
    unit = f"{benchmark.unit}/s"
    print(f"\n{benchmark.name}: {benchmark.subject}, against {benchmark.baseline}")
    print(f"  {effort.describe()}")
    for label, rate in (("subject ", result.rates.subject), ("baseline", result.rates.baseline)):
        print(
            f"  {label}  {rate.per_second:9.1f} {unit:<8}  p50 {_ms(rate.p50)}  p99 {_ms(rate.p99)}"
            f"  (n={rate.count} in {rate.seconds:.2f} s)"
        )
        if rate.errors:
            print(f"            not 200 (not counted in the rate): {rate.describe_errors()}")
        if rate.abandoned:
            print(
                "            (p50/p99 are lower bounds: abandoned requests count what they waited)"
            )
    failed = f" ({result.failed_requests} requests failed)" if result.failed_requests else ""
    if benchmark.reference:
        print(f"  ratio     {result.ratio:.2f}  (for reference: no goal of its own){failed}")
    else:
        print(
            f"  ratio     {result.ratio:.2f}  (goal {benchmark.goal}: subject / baseline {unit},"
            f" higher is better)  {result.verdict}{failed}"
        )
    return result


def print_summary(results: Sequence[Result | RateResult]) -> None:
    print(
        "\nsummary (ratio = subject / baseline: of median wall times, lower is better;"
        " of rates /s, higher is better)"
    )
    width = max(len("benchmark"), *(len(result.benchmark.name) for result in results))
    header = (
        f"  {'benchmark':<{width}} {'subject':>11} {'baseline':>11} {'ratio':>6} {'goal':>7}"
        "  result"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for result in results:
        subject, baseline = result.figures()
        print(
            f"  {result.benchmark.name:<{width}} {subject:>11} {baseline:>11} {result.ratio:6.2f}"
            f" {result.benchmark.goal:>7}  {result.verdict}"
        )
    judged = [r for r in results if not r.benchmark.reference]
    missed = sum(not result.passed for result in judged)
    print(f"\n{len(judged) - missed} of {len(judged)} benchmarks meet their goal.")


# --- import profile --------------------------------------------------------------------------


def _stderr_of(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> str:
    done = subprocess.run(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"bench: profile run failed ({done.returncode}): {' '.join(argv)}")
    return done.stderr


def _top_level_us(records: Sequence[ImportRecord]) -> int:
    return sum(record.cumulative_us for record in records if record.depth == 0)


def _package_entries(records: Sequence[ImportRecord]) -> dict[str, list[ImportRecord]]:
    """Per third-party package, each import that entered it from outside (costs include deps)."""
    stdlib = sys.stdlib_module_names
    entries: dict[str, list[ImportRecord]] = {}
    for record in records:
        top = record.module.partition(".")[0]
        if top in stdlib or top.startswith("_") or top == "envkeep" or not _installed(top):
            continue
        if all(ancestor.partition(".")[0] != top for ancestor in record.chain):
            entries.setdefault(top, []).append(record)
    return entries


def _installed(package: str) -> bool:
    # Failed probes are listed too (`copy` tries Jython's `org.python.core`): skip them.
    return importlib.util.find_spec(package) is not None


def _chain_text(record: ImportRecord, callers: Mapping[str, tuple[str, ...]]) -> str:
    if record.chain:
        return " <- ".join(record.chain)
    # Not imported by another module's import: by site or runpy, or by a function at run time.
    where = callers.get(record.module)
    return "called from " + " <- ".join(where) if where else "(top level)"


def profile(benchmark: Benchmark, case: Case, runs: int, python: str) -> None:
    """Print what the subject imports, by `python -X importtime -m MODULE …` in its cwd/env."""
    if case.profile is None or not isinstance(case.subject, Command):
        print(f"\n{benchmark.name}: no import profile defined (the subject is not a command)")
        return
    cwd, env = case.subject.cwd, case.subject.env
    for _ in range(WARMUP):
        case.subject.run_checked()
    argv = [python, "-X", "importtime", "-m", case.profile.module, *case.profile.args]
    records = median_imports(parse_importtime(_stderr_of(argv, env, cwd)) for _ in range(runs))
    baseline = median_imports(
        parse_importtime(_stderr_of([python, "-X", "importtime", "-c", "pass"], env, cwd))
        for _ in range(runs)
    )
    callers = parse_callers(
        _stderr_of([python, "-c", CALLERS, case.profile.module, *case.profile.args], env, cwd)
    )
    print(f"\n{benchmark.name}: {' '.join(argv[1:])}  (median of {runs} runs)")
    print(
        f"  all imports {_top_level_us(records) / 1000:.1f} ms in {len(records)} modules"
        f"  (python -c pass: {_top_level_us(baseline) / 1000:.1f} ms in {len(baseline)} modules)"
    )
    print(f"\n  top {TOP_IMPORTS} by cumulative time (a module's time includes what it imports)")
    print(f"  {'cumul ms':>8} {'self ms':>7}  {'module':<40} imported by (<- its importer ...)")
    ranked = sorted(records, key=lambda record: record.cumulative_us, reverse=True)
    for record in ranked[:TOP_IMPORTS]:
        print(
            f"  {record.cumulative_us / 1000:8.2f} {record.self_us / 1000:7.2f}"
            f"  {record.module:<40} {_chain_text(record, callers)}"
        )
    print(f"\n  top {TOP_SELF} by self time (the module's own body: classes, regexes, tables)")
    for record in sorted(records, key=lambda record: record.self_us, reverse=True)[:TOP_SELF]:
        print(f"  {record.self_us / 1000:8.2f}  {record.module:<40} {_chain_text(record, callers)}")
    packages = sorted(
        _package_entries(records).items(),
        key=lambda item: sum(record.cumulative_us for record in item[1]),
        reverse=True,
    )
    print("\n  third-party packages: total, then each import that entered the package")
    for top, entries in packages:
        total = sum(record.cumulative_us for record in entries)
        print(f"  {total / 1000:8.2f}  {top}")
        for record in entries:
            print(
                f"  {record.cumulative_us / 1000:16.2f}  {record.module}"
                f" <- {_chain_text(record, callers)}"
            )
    envkeep_modules = sorted({r.module for r in records if r.module.partition(".")[0] == "envkeep"})
    print(f"\n  envkeep modules imported ({len(envkeep_modules)}): {', '.join(envkeep_modules)}")


# --- main ------------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only",
        action="append",
        choices=[benchmark.name for benchmark in BENCHMARKS],
        metavar="NAME",
        help="run only this benchmark (repeatable): " + ", ".join(b.name for b in BENCHMARKS),
    )
    parser.add_argument("--repeat", type=int, metavar="N", help="timed runs of each side")
    parser.add_argument(
        "--profile", action="store_true", help="print the subject's imports instead of timing"
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat needs at least 1")
    return args


def _venv_bin() -> Path:
    # sys.executable as given (a venv's python is a symlink: resolving it leaves the venv).
    bin_dir = Path(sys.executable).parent
    if sys.prefix == sys.base_prefix or not (bin_dir / "envkeep").exists():
        sys.exit("bench: run me with the project's venv: make bench (or .venv/bin/python ...)")
    return bin_dir


def _warm_bytecode(env: Mapping[str, str]) -> None:
    """Compile envkeep's modules, so no timed run pays for it."""
    checked_output([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], env, ROOT)


def _core_kind() -> str:
    """Whether envkeep's hot core runs compiled here (scripts/build_native.py) or as Python."""
    import envkeep.core.resolve

    compiled = envkeep.core.resolve.__file__ or ""
    return "compiled (mypyc)" if not compiled.endswith(".py") else "pure Python"


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    repeats = args.repeat or (10 if args.quick else 30)
    selected = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    bin_dir = _venv_bin()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}
    results: list[Result | RateResult] = []
    with tempfile.TemporaryDirectory(prefix="envkeep-bench-") as tmp:
        root = Path(tmp)
        env = timing_environment(
            inherited,
            {"ENVKEEP_HOME": str(root / "home"), "ENVKEEP_KEYRING": "off", "CI": "1"},
        )
        _warm_bytecode(env)
        ws = Workspace(root, bin_dir, env)
        print(f"python {sys.version.split()[0]} in {sys.prefix}; core {_core_kind()}; ", end="")
        if args.profile:
            print(f"import profiles, {3 if args.quick else 5} runs each")
        else:
            print(
                f"{repeats} timed runs of each side, interleaved, after {WARMUP} warm-ups"
                " (server benchmarks: their own counts, printed with each)"
            )
        try:
            for benchmark in selected:
                if isinstance(benchmark, ServerBenchmark):
                    if args.profile:
                        print(f"\n{benchmark.name}: no import profile (a server benchmark)")
                    else:
                        results.append(measure_server(benchmark, ws, quick=args.quick))
                    continue
                case = benchmark.prepare(ws)
                if args.profile:
                    profile(benchmark, case, runs=3 if args.quick else 5, python=ws.python)
                else:
                    results.append(measure(benchmark, case, repeats))
        except subprocess.CalledProcessError as error:
            sys.exit(f"bench: exit status {error.returncode} from: {' '.join(error.cmd)}")
        except (ServerError, LoadError) as error:
            sys.exit(f"bench: a server benchmark could not run: {error}")
    if results:
        print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
