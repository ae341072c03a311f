"""Timing child processes fairly, and reading `python -X importtime` output.

Start-up benchmarks compare a subject command with a baseline command run in the same way:
same environment, same working directory, interleaved (A B A B …) so that a burst of load on
the machine costs both sides alike.
"""

from __future__ import annotations

import math
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
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

    def run(self, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run to completion, output discarded; a non-zero exit raises when ``check``."""
        return subprocess.run(
            self.argv,
            env=dict(self.env),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=check,
        )


def timing_environment(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus ``extra``, without the variable that stops bytecode caching."""
    env = {key: value for key, value in base.items() if key != _NO_BYTECODE}
    env.update(extra)
    return env


def time_once(command: Command) -> float:
    """Wall time of one run, in seconds; a failing run raises (its time would mean nothing)."""
    start = time.perf_counter()
    done = subprocess.run(
        command.argv,
        env=dict(command.env),
        cwd=command.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command.argv)
    return elapsed


def time_interleaved(
    subject: Command, baseline: Command, *, repeats: int, warmup: int
) -> tuple[list[float], list[float]]:
    """(subject times, baseline times), ``repeats`` each, run A B A B after ``warmup`` pairs."""
    for _ in range(warmup):
        baseline.run()
        subject.run()
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
    """Per module, the median self and cumulative times over ``runs``; chains from the first."""
    first: dict[str, ImportRecord] = {}
    selfs: dict[str, list[int]] = {}
    cumulatives: dict[str, list[int]] = {}
    for records in runs:
        for record in records:
            first.setdefault(record.module, record)
            selfs.setdefault(record.module, []).append(record.self_us)
            cumulatives.setdefault(record.module, []).append(record.cumulative_us)
    return [
        ImportRecord(
            module,
            round(statistics.median(selfs[module])),
            round(statistics.median(cumulatives[module])),
            record.depth,
            record.chain,
        )
        for module, record in first.items()
    ]
