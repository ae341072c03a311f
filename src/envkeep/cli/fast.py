"""The fast path for `envkeep run`: no Typer, no Rich, no SQLAlchemy.

`run` sits in front of every service start, so its start-up time matters. When the arguments
are plain (`run [--env E] [--service S] [--no-validate] -- CMD …`), they are parsed here and the
same client function the Typer command calls runs; anything else (--help, an unknown option)
goes to Typer.
"""

from __future__ import annotations

import gc
import os

# A plain flag, not typing's: the warm start below loads nothing it does not need (see
# envkeep/crypto/__init__.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

    from envkeep.settings import Settings

_OPTIONS = {"--env": "env", "-e": "env", "--service": "service", "-s": "service"}
_FLAGS = {"--no-validate": "no_validate"}


class RunArgs:
    """Plain `run` arguments (a slotted class: the module loads before every `run`)."""

    __slots__ = ("command", "env", "service", "validate")

    def __init__(
        self, env: str | None, service: str | None, command: list[str], *, validate: bool = True
    ) -> None:
        self.env = env
        self.service = service
        self.command = command
        self.validate = validate

    def __repr__(self) -> str:
        return f"RunArgs({self.env!r}, {self.service!r}, {self.command!r}, {self.validate!r})"


def parse_run(args: Sequence[str]) -> RunArgs | None:
    """The arguments after `run`, or None if they are not plain."""
    found: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            command = list(args[i + 1 :])
            if not command:
                return None
            validate = "no_validate" not in found
            return RunArgs(found.get("env"), found.get("service"), command, validate=validate)
        if arg in _FLAGS and _FLAGS[arg] not in found:
            found[_FLAGS[arg]] = "1"
            i += 1
            continue
        name, eq, value = arg.partition("=")
        key = _OPTIONS.get(name)
        if key is None or key in found:
            return None
        if not eq:
            if i + 1 >= len(args):
                return None
            value, i = args[i + 1], i + 1
        found[key] = value
        i += 1
    return None


def fast_run(argv: Sequence[str]) -> int | None:
    """Run `envkeep run …` without Typer when possible; None means "not handled here"."""
    debug = False
    args = list(argv)
    if args[:1] == ["--debug"]:
        debug, args = True, args[1:]
    if args[:1] != ["run"]:
        return None
    parsed = parse_run(args[1:])
    if parsed is None:
        return None
    # The process lives for one read and then execs: nothing it makes needs collecting, and
    # the cyclic collector would otherwise walk every object of thousands of variables, again
    # and again as they are made.
    gc.disable()
    try:
        _warm_run(parsed)
        from envkeep.settings import load_settings

        _run(load_settings(), parsed)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return _report(error, debug=debug)


def _report(error: Exception, *, debug: bool) -> int:
    from envkeep.cli.errors import report, report_unexpected
    from envkeep.core.errors import EnvkeepError
    from envkeep.environ import debug_requested

    debug = debug or debug_requested()  # as Settings.debug, which may not have loaded

    if isinstance(error, EnvkeepError):
        return report(error, debug=debug)
    return report_unexpected(error, debug=debug)


def _warm_run(parsed: RunArgs) -> None:
    """Exec the command with the values the same run had last time, if they are still what
    it would see (``client/runcache.py``); return to take the cold path."""
    from envkeep.client.runcache import warm_values

    env = parsed.env or os.environ.get("ENVKEEP_ENV") or None  # as `default_env` takes it
    warm = warm_values(env, parsed.service, validate=parsed.validate)
    if warm is None:
        return
    values, notes = warm
    from envkeep.client.runner import child_environment, exec_command
    from envkeep.environ import process_environment

    if notes:
        import sys

        from envkeep.cli.marks import fitted

        sys.stderr.write("".join(f"{fitted(sys.stderr, note)}\n" for note in notes))
    exec_command(parsed.command, child_environment(process_environment(), values))


def _run(settings: Settings, parsed: RunArgs) -> NoReturn:
    from envkeep.cli.state import make_context, say_command

    say_command("run")
    from envkeep.client.launch import run_with_environment

    run_with_environment(
        make_context(settings),
        parsed.env,
        parsed.service,
        parsed.command,
        validate=parsed.validate,
    )
