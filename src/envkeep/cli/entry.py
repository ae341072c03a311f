"""The `envkeep` console script: the fast `run` path first, then the Typer application."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the code of DESIGN §6; a Ctrl-C before a command's own
    handling (while it imports or parses) ends it as one after: "interrupted" and 130, where
    Python printed a KeyboardInterrupt traceback and died by the signal."""
    try:
        _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        try:  # noqa: SIM105 - contextlib costs an import on every command's start
            sys.stderr.write("interrupted\n")
        except Exception:  # noqa: BLE001, S110 - no stderr, or a broken one: the code says it
            pass
        sys.exit(130)


def _main(args: list[str]) -> None:
    _open_closed_streams()
    if os.getpid() == 1:
        _end_on_termination_as_init()
    if _serves(args):
        sys.exit(_flushed(_serve_main(args)))
    from envkeep.cli.fast import fast_run

    code = fast_run(args)
    if code is not None:
        sys.exit(code)
    sys.exit(_flushed(_typer_main(args)))


def _serves(args: list[str]) -> bool:
    """Whether ``args`` may start a server: the command `server`, its help not asked for."""
    from envkeep.cli.command_line import asks_help, command_of

    return command_of(args) == "server" and not asks_help(args)


def _serve_main(args: list[str]) -> int:
    """`_typer_main` for `server`, a SIGTERM held from here until the start takes it
    (`api.start_sigterm`): the imports and the app's building came before, and one then
    killed the process without a word."""
    from envkeep.api.start_sigterm import hold, released

    hold()
    code = 1  # an exception out of it: its handler says the status
    try:
        code = _typer_main(args)
    finally:
        # An error before the start took SIGTERM (a usage error, a bad --config) ends the
        # process at once, as the SIGTERM asked: its status and its message, not the signal's.
        released(resend=code == 0)
    return code


_STREAMS = (("stdin", os.O_RDONLY, "r"), ("stdout", os.O_WRONLY, "w"), ("stderr", os.O_WRONLY, "w"))


def _open_closed_streams() -> None:
    """Give /dev/null to each standard stream the process started without (``<&-`` in a CI
    step, ``>&-``): Python leaves it None, and every command that asks whether stdin is a
    terminal, or prints, would fail. A command `run` starts gets /dev/null there too, not a
    closed descriptor that the first file it opens would take over."""
    for fd, (name, flags, mode) in enumerate(_STREAMS):
        if getattr(sys, name) is not None:
            continue
        opened = os.open(os.devnull, flags)
        if opened == fd:
            os.set_inheritable(fd, True)  # os.open's are not: a command run would lose it
        else:
            os.dup2(opened, fd)
            os.close(opened)
        setattr(sys, name, open(fd, mode, encoding="utf-8", closefd=False))  # noqa: SIM115 - for the process's life


def _end_on_termination_as_init() -> None:
    """As a container's PID 1 (``ENTRYPOINT ["envkeep", "run", "--", ...]``) end on SIGTERM
    and SIGHUP as any other process does: the kernel gives PID 1 no default action, and
    ``docker stop`` during a slow fetch waited out its grace period for SIGKILL. The command
    ``run`` execs is PID 1 after it, with its own handlers (``exec`` drops these). Through
    ``_signal``: ``signal`` imports enum (17 ms)."""
    import _signal  # type: ignore[import-not-found]  # no stub; CPython's own

    def end(signum: int, _frame: object) -> None:
        os._exit(128 + signum)  # what a shell reports for a process the signal ended

    for name in ("SIGTERM", "SIGHUP"):
        _signal.signal(getattr(_signal, name), end)


def _flushed(code: int) -> int:
    """``code``, once stdout holds nothing unwritten; 1, without a word, when its reader is
    gone (``| head -1``), as Typer ends a command whose own write finds it gone. Flushed
    here: at exit Python would print a BrokenPipeError and end with 120."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())  # what is left goes nowhere at exit
        os.close(nowhere)
        return code or 1
    return code


def _typer_main(args: list[str]) -> int:
    from envkeep.cli.app import build_app, command_words_of
    from envkeep.cli.command_line import asks_help, command_of
    from envkeep.cli.errors import report, report_unexpected
    from envkeep.cli.state import say_command
    from envkeep.core.errors import EnvkeepError
    from envkeep.settings import load_settings

    settings = load_settings()
    debug = "--debug" in args or settings.debug
    if settings.completing:
        from envkeep.cli.completion import enable_completion

        enable_completion()
    app = build_app(None if settings.completing else command_of(args))
    words = command_words_of(app, args)
    say_command(words)
    try:
        if not settings.completing and not asks_help(args):  # help asks nothing to be done
            from envkeep.cli.repeated_options import refuse_repeated

            refuse_repeated(app, args, words)
        app(args=args, prog_name="envkeep")
    except SystemExit as done:
        if _interrupted(done):  # Typer ends a Ctrl-C as exit 130, without a word
            sys.stderr.write("interrupted\n")
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except EnvkeepError as error:
        return report(error, debug=debug)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        return report_unexpected(error, debug=debug)
    return 0


def _interrupted(done: SystemExit) -> bool:
    """Whether ``done`` is how Typer ended a KeyboardInterrupt (Ctrl-C; SIGTERM or SIGHUP
    where a command takes them as one): a 130 with the interrupt in its chain."""
    if done.code != 130:
        return False
    seen: BaseException | None = done
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
