"""How the CLI reports an error: one line, a hint, the exit code of DESIGN §6.

Kept free of Rich so the fast `run` path can use it too.
"""

from __future__ import annotations

import sys
import traceback

from envkeep.core.errors import EnvkeepError


def report(error: EnvkeepError, *, debug: bool) -> int:
    """Print ``error`` to stderr (with the traceback when debugging) and return its exit code."""
    if debug:
        traceback.print_exception(error)
    lines = [f"error: {error.message}"]
    if error.hint:
        lines.append(f"hint: {error.hint}")
    sys.stderr.write("\n".join(lines) + "\n")
    return error.exit_code


def report_unexpected(error: BaseException, *, debug: bool) -> int:
    """A bug: say so in one line; the traceback with --debug."""
    if debug:
        traceback.print_exception(error)
    sys.stderr.write(
        f"error: unexpected {type(error).__name__}; this is a bug in envkeep\n"
        "hint: run again with --debug for the traceback, and report it\n"
    )
    return 1
