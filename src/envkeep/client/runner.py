"""Running a command with the resolved environment.

The command replaces the envkeep process (``exec``): signals from the terminal or from a
supervisor (SIGINT, SIGTERM, …) reach it directly, its exit code is the exit code, and
stdin/stdout/stderr are the very same file descriptors. Nothing of envkeep stays in memory.
"""

from __future__ import annotations

import os
import sys

# A plain flag, not typing's, and errors imported where raised: `run`'s warm start execs
# through this module before anything heavier is loaded (see envkeep/crypto/__init__.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import NoReturn


# Credentials envkeep reads and the command has no use for: a tool that logs or uploads its
# environment would hand on a key to every environment the token or the identity opens.
# ENVKEEP_SIGNERS is no credential (public keys' fingerprints): an inner envkeep gets it.
_KEPT_FROM_COMMANDS = (
    "ENVKEEP_PASSPHRASE",
    "ENVKEEP_NEW_PASSPHRASE",
    "ENVKEEP_FILE_PASSPHRASE",
    "ENVKEEP_NEW_FILE_PASSPHRASE",
    "ENVKEEP_TOKEN",
)
# Names the credentials kept back (never their values), so that an envkeep the command runs
# in turn can say why it finds none (settings.Settings.withheld).
WITHHELD = "ENVKEEP_WITHHELD"


def child_environment(
    base: Mapping[str, str], values: Mapping[str, str], *, pass_token: bool = False
) -> dict[str, str]:
    """The process environment with envkeep's values on top, without envkeep's credentials
    (the passphrases, and ENVKEEP_TOKEN unless ``pass_token``),
    naming those kept back in ENVKEEP_WITHHELD."""
    passed = ("ENVKEEP_TOKEN",) if pass_token else ()
    kept = [k for k in _KEPT_FROM_COMMANDS if k in base and k not in passed]
    env = {k: v for k, v in base.items() if k not in kept and k != WITHHELD}  # an outer run's
    env.update(values)
    if kept:
        env[WITHHELD] = ",".join(kept)
    return env


def exec_command(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with ``argv`` under ``env``; raise CommandError if it cannot start."""
    if not argv:
        from envkeep.core.errors import UsageError

        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    sys.stdout.flush()
    sys.stderr.flush()
    args, environment = list(argv), dict(env)
    program = _on_path(argv[0], environment)
    kept = _restore_signals()
    try:
        _exec(program, args, environment)
    finally:  # reached only when the command did not start
        _put_back(kept)


def _exec(program: str | None, args: list[str], environment: dict[str, str]) -> NoReturn:
    """``exec`` the command: ``program`` (found on the environment's PATH) if it starts, else
    as os's own search finds ``args[0]``; raise the error that says why it did not start."""
    try:
        if program is not None:  # on failure, os's own search below says what went wrong
            try:  # noqa: SIM105 - contextlib (5 ms to import) is not loaded on run's warm start
                os.execve(program, args, environment)  # noqa: S606 - the user's command
            except OSError:
                pass
        os.execvpe(args[0], args, environment)  # noqa: S606 - running the user's command is the point
    except OSError as error:
        raise _start_failure(args[0], error, environment) from None
    except ValueError as refused:  # "embedded null byte", checked before any exec
        raise _unpassable(args[0], environment) or refused from None


def _restore_signals() -> dict[int, object]:
    """Give back the default action of the signals Python ignores at its start (SIGPIPE,
    SIGXFSZ), as ``subprocess`` does for its children: ``exec`` keeps an ignored signal
    ignored, and ``yes | head -1`` in the command would end with "Broken pipe" and exit 1,
    not by SIGPIPE. Returns what they were, for ``_put_back`` when the command did not start:
    a process that goes on (a test runner calling this in-process) must not die of SIGPIPE at
    its next write to a closed pipe. Through ``_signal``: ``signal`` imports enum (17 ms on
    the warm start)."""
    import _signal  # type: ignore[import-not-found]  # no stub; CPython's own

    kept: dict[int, object] = {}
    for name in ("SIGPIPE", "SIGXFSZ"):
        number = getattr(_signal, name, None)
        if number is not None:
            kept[number] = _signal.signal(number, _signal.SIG_DFL)
    return kept


def _put_back(kept: dict[int, object]) -> None:
    """The signal actions ``_restore_signals`` replaced, as they were (the command did not
    start: ``signal``'s import costs nothing that matters here)."""
    import signal

    for number, action in kept.items():
        signal.signal(number, action)  # type: ignore[arg-type]  # what signal() gave back


def _start_failure(
    name: str, error: OSError, environment: Mapping[str, str] | None = None
) -> Exception:
    """The error for a command that did not start under ``environment``."""
    import errno

    from envkeep.core.errors import CommandError, CommandNotExecutable, InputError

    path = None if environment is None else environment.get("PATH")
    if error.errno == errno.E2BIG and environment is not None:
        size = sum(len(k.encode()) + len(v.encode()) + 2 for k, v in environment.items())
        largest = max(environment, key=lambda k: len(environment[k].encode()))
        one = len(largest.encode()) + len(environment[largest].encode()) + 2
        too_big = (
            f"{largest} is {one:,} bytes, more than the {_ONE_VARIABLE // 1024} KiB one"
            " variable may hold on Linux"
            if one > _ONE_VARIABLE
            else f"its environment is {size:,} bytes, more than the system takes (about 2 MiB"
            f" in all on Linux; the largest here is {largest})"
        )
        return InputError(
            f"could not start {name}: {too_big}",
            hint="keep large files where the service reads them, and their paths in variables",
        )
    if isinstance(error, FileNotFoundError):
        hint = "check the name, or give its full path"
        if "/" not in name and path is not None and path != os.environ.get("PATH"):
            hint += " (it is looked up on the PATH the environment's values set)"
        return CommandError(f"command not found: {name}", hint=hint)
    if isinstance(error, PermissionError) and os.path.isdir(name):
        return CommandNotExecutable(f"{name} is a directory", hint="give a program to run")
    if isinstance(error, PermissionError):
        return CommandNotExecutable(
            f"permission denied: {name}", hint="is it executable? (chmod +x)"
        )
    return CommandError(f"could not start {name}: {error.strerror}")


_ONE_VARIABLE = 128 * 1024  # Linux's MAX_ARG_STRLEN: one NAME=value string, its NUL included


def _unpassable(name: str, environment: Mapping[str, str]) -> Exception | None:
    """The error for what ``execve`` refused as holding a NUL character, naming the variable
    (a value stored before envkeep refused them; ``execve`` says only "embedded null byte").
    Looked for only once ``execve`` refused: a run that starts pays nothing for it. (Text that
    is not UTF-8 needs no check: a stored value was UTF-8 to be sealed, and what the OS gave
    envkeep goes back to it as the same bytes.)"""
    from envkeep.core.errors import InputError

    culprit = next((key for key, value in environment.items() if "\0" in value), None)
    if culprit is None:  # not a value of ours
        return None
    return InputError(
        f"could not start {name}: the value of {culprit} contains a NUL character, which no"
        " environment variable can hold",
        hint=f"set {culprit} again (envkeep set {culprit}=…), without it",
    )


def _on_path(name: str, env: Mapping[str, str]) -> str | None:
    """Where ``os.execvpe`` would find ``name``: the first executable file on the PATH of
    ``env``; None for a path (no search) or when none is found.

    ``os.execvpe`` tries ``execve`` in each PATH directory in turn, converting the whole
    environment again for each attempt: with 10,000 variables and ``/usr/bin`` ninth on the
    PATH, that costs more than all of envkeep's own work on them. A lookup first makes it one
    attempt.
    """
    if "/" in name:
        return None
    for directory in os.get_exec_path(env):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None
