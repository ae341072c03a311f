"""Which command an argument list names, read before anything else is imported: the console
script asks it first (is this `envkeep server`?, `entry`), while a SIGTERM can still kill the
start, so it imports nothing (``typing`` alone is 24 ms), and Typer's application asks it to
load only that command's module (`app.build_app`)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence

VERSION_ONLY = ""


def command_of(args: Sequence[str]) -> str | None:
    """The command an argument list names: its first argument that is not a top-level option
    (``--debug``, ``--version``, ``--help`` take no value); None for the top level's help
    (``--help`` before any command); ``VERSION_ONLY`` for ``--version`` without a command."""
    at = next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
    options = args[:at]
    if "--help" in options:  # the top level's help, whatever follows: every command
        return None
    if at == len(args):
        return VERSION_ONLY if "--version" in options else None
    return args[at]


def asks_help(args: Sequence[str]) -> bool:
    """Whether an argument list asks for a help (``--help`` anywhere before ``--``: what
    follows is `run`'s command's), which does nothing else."""
    own = args[: args.index("--")] if "--" in args else args
    return "--help" in own
