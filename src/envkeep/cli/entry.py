"""The `envkeep` console script: the fast `run` path first, then the Typer application."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with the code of DESIGN §6."""
    args = sys.argv[1:] if argv is None else argv
    from envkeep.cli.fast import fast_run

    code = fast_run(args)
    if code is not None:
        sys.exit(code)
    sys.exit(_typer_main(args))


def _typer_main(args: list[str]) -> int:
    from envkeep.cli.app import build_app, command_of, command_words_of
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
        own = args[: args.index("--")] if "--" in args else args  # not run's command's
        if not settings.completing and "--help" not in own:  # help asks nothing to be done
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
