"""What a test must leave of its process as it found it (tests/conftest.py checks each test):
a later test on the same xdist worker runs in what is left. Each part is read in
microseconds; the whole check costs about 0.1 ms a test.

- the environment (not ``PYTEST_CURRENT_TEST``, which pytest sets for each phase): a variable
  set without ``monkeypatch`` (``ENVKEEP_HOME``, ``ENVKEEP_SERVER``) steers every later
  in-process command;
- the working directory: a test's own, removed later, fails every relative path after it;
- the umask: every file a later test makes would get other permissions;
- what descriptors 0, 1 and 2 are (``os.dup2`` onto them, as `envkeep` does for a closed
  stream): the worker's output, or its pipe to the controller, gone elsewhere;
- files still open in the test's own ``tmp_path`` (a client context, a database connection
  never closed): a descriptor kept until the worker ends.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_SET_BY_PYTEST = "PYTEST_CURRENT_TEST"


@dataclass(frozen=True)
class ProcessState:
    environ: dict[str, str]
    cwd: str
    umask: int
    standard_streams: tuple[tuple[int, int] | None, ...]


def process_state() -> ProcessState:
    """This process's state as a test may change it."""
    environ = dict(os.environ)
    environ.pop(_SET_BY_PYTEST, None)
    return ProcessState(environ, _cwd(), _umask(), tuple(_identity(fd) for fd in (0, 1, 2)))


def changes(before: ProcessState, after: ProcessState) -> list[str]:
    """What differs between two states, in words."""
    found = []
    added = sorted(after.environ.keys() - before.environ.keys())
    removed = sorted(before.environ.keys() - after.environ.keys())
    altered = sorted(k for k in before.environ.keys() & after.environ.keys()
                     if before.environ[k] != after.environ[k])  # fmt: skip
    if added or removed or altered:
        found.append(f"environment (set {added}, unset {removed}, changed {altered})")
    if before.cwd != after.cwd:
        found.append(f"working directory ({before.cwd} -> {after.cwd})")
    if before.umask != after.umask:
        found.append(f"umask ({before.umask:04o} -> {after.umask:04o})")
    if before.standard_streams != after.standard_streams:
        found.append("descriptors 0-2 (something was dup2'd onto stdin, stdout or stderr)")
    return found


def restore(state: ProcessState) -> None:
    """Put back what can be: the environment, the directory, the umask."""
    os.environ.clear()
    os.environ.update(state.environ)
    if os.path.isdir(state.cwd):  # noqa: PTH112 - a str, as os.getcwd gives it
        os.chdir(state.cwd)
    os.umask(state.umask)


def files_open_under(folder: Path) -> list[str]:
    """The files under ``folder`` this process holds open."""
    inside = f"{folder}{os.sep}"
    held = []
    # os's calls, not pathlib's, here and below: this runs twice for every test.
    for name in os.listdir("/proc/self/fd"):  # noqa: PTH208
        try:
            target = os.readlink(f"/proc/self/fd/{name}")  # noqa: PTH115
        except OSError:  # the listing's own descriptor, closed already
            continue
        if target.startswith(inside):
            held.append(target[len(inside) :])
    return sorted(held)


def _cwd() -> str:
    try:
        return os.getcwd()  # noqa: PTH109
    except FileNotFoundError:  # removed under the process
        return "(removed)"


def _umask() -> int:
    """The umask, read without setting it (``os.umask`` would, for every thread)."""
    with open("/proc/self/status", encoding="ascii") as status:  # noqa: PTH123
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    raise RuntimeError("no Umask line in /proc/self/status")


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        found = os.fstat(fd)
    except OSError:  # closed
        return None
    return found.st_dev, found.st_ino
