"""A command line click cannot parse (a missing argument, an unknown option, a bad value), said
as envkeep says every other error: ``error: …`` and a hint, in place of click's ``Usage: …``,
``Try '… --help'`` and ``Error: …`` with a capital letter. The hint is the command's own
example (the ``Example:`` line of its help), then where its help is."""

from __future__ import annotations

import re
from typing import Any

from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from envkeep.cli.foreign_commands import ForeignWordsGroup
from envkeep.core.errors import UsageError

_EXAMPLE = re.compile(r"^\s*Example:\s*(envkeep .+?)\s*$", re.MULTILINE)


class EnvkeepGroup(ForeignWordsGroup):
    """The root group: every usage error of a command under it leaves as envkeep's
    UsageError (exit 2), which the entry point reports as it reports any other."""

    # Any: the context and arguments are the types of the click Typer vendors (typer._click)
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except NoArgsIsHelpError:  # a group with no subcommand: its help, as click shows it
            raise
        except ClickUsageError as error:
            raise as_envkeep_error(error) from error

    def invoke(self, ctx: Any) -> Any:
        words = [*ctx._protected_args, *ctx.args]  # the subcommand's, before click takes them
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:  # a group with no subcommand: its help, as click shows it
            raise
        except ClickUsageError as error:
            # click's parser leaves an option's missing value without a context: the words
            # still name the command (`template apply`, not `template`), whose help to read
            where = None if error.ctx is not None else _named(self, ctx, words)
            raise as_envkeep_error(error, where) from error


def _named(group: Any, ctx: Any, words: list[str]) -> tuple[str, Any]:
    """The command ``words`` name under ``group``, as deep as they name one (a group's
    subcommand's subcommand), with its path: ``envkeep template apply``."""
    path, command = [ctx.command_path], group
    for word in words:
        found = command.get_command(ctx, word) if hasattr(command, "get_command") else None
        if found is None:
            break
        path.append(word)
        command = found
    return " ".join(path), command


def as_envkeep_error(error: ClickUsageError, where: tuple[str, Any] | None = None) -> UsageError:
    """click's ``error`` in envkeep's words: its message from a lowercase letter, without
    the closing full stop, and a hint: the command's example, and its --help (``where``: the
    command's path and the command, for an error click gave no context)."""
    message = error.format_message().strip()
    if message[:2].istitle():  # "Missing argument", not "NAME=VALUE…" or "--env"
        message = message[0].lower() + message[1:]
    if where is None and error.ctx is not None:
        where = (error.ctx.command_path, error.ctx.command)
    return UsageError(message.removesuffix("."), hint=_hint(where))


def _hint(where: tuple[str, Any] | None) -> str:
    """The example the command's help gives (if any), and how to see that help."""
    if where is None:
        return "see: envkeep --help"
    path, command = where
    example = _EXAMPLE.search(command.help or "")
    more = f"see: {path} --help"
    return f"e.g. {example[1]}; {more}" if example else more
