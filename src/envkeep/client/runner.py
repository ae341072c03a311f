"""Running a command with the resolved environment.

The command replaces the envkeep process (``exec``): signals from the terminal or from a
supervisor (SIGINT, SIGTERM, …) reach it directly, its exit code is the exit code, and
stdin/stdout/stderr are the very same file descriptors. Nothing of envkeep stays in memory.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

from envkeep.core.errors import CommandError, CommandNotExecutable, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def child_environment(base: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """The process environment with envkeep's values on top (envkeep's own variables kept out)."""
    env = {k: v for k, v in base.items() if k != "ENVKEEP_PASSPHRASE"}
    env.update(values)
    return env


def exec_command(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with ``argv`` under ``env``; raise CommandError if it cannot start."""
    if not argv:
        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], list(argv), dict(env))  # noqa: S606 - running the user's command is the point
    except FileNotFoundError:
        raise CommandError(
            f"command not found: {argv[0]}", hint="check the name, or give its full path"
        ) from None
    except PermissionError:
        raise CommandNotExecutable(
            f"permission denied: {argv[0]}", hint="is it executable? (chmod +x)"
        ) from None
    except OSError as error:
        raise CommandError(f"could not start {argv[0]}: {error.strerror}") from None
