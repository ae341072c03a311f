"""Timing child processes and in-process calls fairly, and reading `python -X importtime` output.

A benchmark compares a subject with a baseline run in the same way: for commands, the same
environment and working directory; for calls, the same process with a fresh garbage collection
before each run. Runs are interleaved (A B A B …) so that a burst of load on the machine costs
both sides alike.
"""

from __future__ import annotations

import gc
import math
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path

# With this set, every child recompiles the modules it imports, and start-up time measures the
# compiler instead of the program.
_NO_BYTECODE = "PYTHONDONTWRITEBYTECODE"


@dataclass(frozen=True)
class Command:
    """One child process to start: its argv, its whole environment, its working directory."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path

    def run(self) -> int:
        """Run to completion with no input and output discarded; the exit status."""
        return subprocess.run(
            self.argv,
            env=dict(self.env),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        ).returncode

    def run_checked(self) -> None:
        """Run as ``run`` does; a non-zero exit status raises CalledProcessError."""
        status = self.run()
        if status != 0:
            raise subprocess.CalledProcessError(status, self.argv)


@dataclass(frozen=True)
class Call:
    """A function run in this process; it raises if its work went wrong."""

    name: str
    function: Callable[[], object]

    def run(self) -> int:
        """Call the function and drop what it returns; 0, as for a command that succeeded."""
        self.function()
        return 0

    def run_checked(self) -> None:
        """Call the function; whatever it raises propagates."""
        self.function()


# What a benchmark times: a child process, or a call in this process.
Timed = Command | Call


def timing_environment(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus ``extra``, without the variable that stops bytecode caching."""
    env = {key: value for key, value in base.items() if key != _NO_BYTECODE}
    env.update(extra)
    return env


def time_once(timed: Timed) -> float:
    """Wall time of one run, in seconds; a failing run raises (its time would mean nothing)."""
    if isinstance(timed, Call):
        # Garbage left by the other side's last run must not be collected on this one's clock.
        gc.collect()
    start = time.perf_counter()
    status = timed.run()
    elapsed = time.perf_counter() - start
    if status != 0 and isinstance(timed, Command):
        raise subprocess.CalledProcessError(status, timed.argv)
    return elapsed


def time_interleaved(
    subject: Timed, baseline: Timed, *, repeats: int, warmup: int
) -> tuple[list[float], list[float]]:
    """(subject times, baseline times), ``repeats`` each, run A B A B after ``warmup`` pairs."""
    for _ in range(warmup):
        baseline.run_checked()
        subject.run_checked()
    subject_times: list[float] = []
    baseline_times: list[float] = []
    for _ in range(repeats):
        baseline_times.append(time_once(baseline))
        subject_times.append(time_once(subject))
    return subject_times, baseline_times


@dataclass(frozen=True)
class Summary:
    """Median and 90th percentile of a set of wall times, in seconds."""

    median: float
    p90: float
    count: int


def summarise(samples: Sequence[float]) -> Summary:
    """Median and nearest-rank p90 of ``samples`` (at least one)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return Summary(statistics.median(ordered), ordered[rank - 1], len(ordered))


# `import time: self [us] | cumulative | imported package`, the name indented two spaces a level.
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportRecord:
    """One module's first import: its own time, with its sub-imports, and who imported it."""

    module: str
    self_us: int
    cumulative_us: int
    depth: int
    chain: tuple[str, ...]  # the importer, its importer, … up to the top level


def parse_importtime(stderr: str) -> list[ImportRecord]:
    """The records of one `python -X importtime` run, in the order Python printed them."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            self_us, cumulative_us, indent, module = match.groups()
            rows.append((module, int(self_us), int(cumulative_us), len(indent) // 2))
    # Python prints a module after everything it imports: read backwards, a line's importer is
    # the nearest line above it in the reversed order that sits one level shallower.
    stack: list[tuple[int, str]] = []
    chains: dict[int, tuple[str, ...]] = {}
    for index in range(len(rows) - 1, -1, -1):
        module, _, _, depth = rows[index]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        chains[index] = tuple(name for _, name in reversed(stack))
        stack.append((depth, module))
    return [
        ImportRecord(module, self_us, cumulative_us, depth, chains[index])
        for index, (module, self_us, cumulative_us, depth) in enumerate(rows)
    ]


def median_imports(runs: Iterable[Sequence[ImportRecord]]) -> list[ImportRecord]:
    """Per import, the median self and cumulative times over ``runs``; chains from the first.

    A module can be listed twice in one run: `import a.b` run from code lists `a`'s own import
    of `a.b` first, then the outer `a.b` (a few microseconds, its cumulative time counting `a`).
    So an import is keyed by its module and how many times that module was listed before it.
    """
    first: dict[tuple[str, int], ImportRecord] = {}
    selfs: dict[tuple[str, int], list[int]] = {}
    cumulatives: dict[tuple[str, int], list[int]] = {}
    for records in runs:
        seen: dict[str, int] = {}
        for record in records:
            key = (record.module, seen.get(record.module, 0))
            seen[record.module] = key[1] + 1
            first.setdefault(key, record)
            selfs.setdefault(key, []).append(record.self_us)
            cumulatives.setdefault(key, []).append(record.cumulative_us)
    return [
        ImportRecord(
            record.module,
            round(statistics.median(selfs[key])),
            round(statistics.median(cumulatives[key])),
            record.depth,
            record.chain,
        )
        for key, record in first.items()
    ]


# Run as `python -c CALLERS MODULE ARGS…`: runs MODULE as `python -m` does, and prints one line
# per module imported from inside a function (not by another module's top level, which
# -X importtime shows): the module, the function that imported it, and the nearest envkeep
# function on the stack.
CALLERS = """
import runpy, sys

def _where(frame):
    path = frame.f_code.co_filename
    for marker in ("/site-packages/", "/src/"):
        path = path.split(marker, 1)[-1]
    return f"{path}:{frame.f_lineno} {frame.f_code.co_name}"

def _hook(event, args):
    if event != "import":
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen "):
        frame = frame.f_back
    if frame is None or frame.f_code.co_name == "<module>":
        return
    ours = frame
    while ours is not None and "/envkeep/" not in ours.f_code.co_filename:
        ours = ours.f_back
    where = [_where(frame)] + ([_where(ours)] if ours is not None and ours is not frame else [])
    sys.stderr.write("\\t".join(["bench-caller", args[0], *where]) + "\\n")
    sys.stderr.flush()

module, sys.argv = sys.argv[1], sys.argv[1:]
sys.addaudithook(_hook)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def parse_callers(stderr: str) -> dict[str, tuple[str, ...]]:
    """Module -> (the function that imported it, the nearest envkeep function) from CALLERS."""
    callers: dict[str, tuple[str, ...]] = {}
    for line in stderr.splitlines():
        tag, _, rest = line.partition("\t")
        if tag == "bench-caller":
            module, *where = rest.split("\t")
            callers.setdefault(module, tuple(where))
    return callers
