"""An option that takes one value, given twice: refused, not the last one taken.

Click keeps the last of ``--env dev … --env prod`` without a word, so a command line edited
from the shell's history could write to prod while its start said dev. Options that may repeat
(``init --env``, ``--delete-damaged``) and flags are left alone. The line is read as click
reads it: a value-taking option's next argument is its value whatever it looks like, short
options group (``-ye dev``: ``-y``, then ``-e dev``), and run's command's words are its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


@dataclass
class _Options:
    """A command's options as its parser sees them: ``single`` maps each name (``--env``,
    ``-e``) of one that takes one value to its long name; ``valued``: every name that takes a
    value (a repeatable option's too); ``interspersed``: whether options may follow its
    arguments (not run's: from its command's first word on, the words are the command's)."""

    single: dict[str, str] = field(default_factory=dict)
    valued: set[str] = field(default_factory=set)
    interspersed: bool = True


def refuse_repeated(app: typer.Typer, args: Sequence[str], words: str | None) -> None:
    """Raise UsageError naming the first option that takes one value and is given twice in
    ``args`` for the command ``words`` (``env rotate-key``); nothing for any other line."""
    if words is None:
        return
    options = _options_of(app, words.split())
    if not options.single:
        return
    given = list(args)
    last = words.split()[-1]
    at = given.index(last) + 1 if last in given else 0
    seen: dict[str, int] = {}
    while at < len(given) and given[at] != "--":  # after `--`: the command's own
        arg = given[at]
        if arg == "-" or not arg.startswith("-"):
            if not options.interspersed:  # run: the command and its own options
                break
            at += 1
            continue
        named, at = _named(options, given, at)
        for option in named:
            seen[option] = seen.get(option, 0) + 1
    for option, count in seen.items():
        if count > 1:
            times = "twice" if count == 2 else f"{count} times"
            raise UsageError(
                f"{option} is given {times}; it takes one value, and none was taken",
                hint=f"give {option} once; nothing was done",
            )


def _named(options: _Options, given: list[str], at: int) -> tuple[list[str], int]:
    """The one-valued options ``given[at]`` names (a short group may name one, after flags),
    and where the next option may start: past its value, in the argument or the next one."""
    arg = given[at]
    if arg.startswith("--"):
        name, eq, _value = arg.partition("=")
        skip = 1 if eq or name not in options.valued else 2
        return ([options.single[name]] if name in options.single else []), at + skip
    for i, letter in enumerate(arg[1:], start=1):  # -ye dev: -y, then -e with dev
        short = f"-{letter}"
        if short in options.valued:
            skip = 1 if arg[i + 1 :] else 2
            return ([options.single[short]] if short in options.single else []), at + skip
    return [], at + 1  # flags alone, or an option click does not know


def _options_of(app: typer.Typer, words: list[str]) -> _Options:
    """The options of the command ``words`` (none for a command it cannot find). (Typer's
    click classes are its own copy's, so they are read by their attributes.)"""
    from typer.main import get_command

    command: Any = get_command(app)
    for word in words:
        command = getattr(command, "commands", {}).get(word)
    if command is None or getattr(command, "commands", None):
        # A group (`server --db X migrate --db Y`): its options and its subcommand's may share a
        # name, which the group's own callback reconciles; nothing counted here.
        return _Options()
    found = _Options()
    for param in command.params:
        if getattr(param, "param_type_name", None) != "option":
            continue
        if param.is_flag or getattr(param, "count", False):
            continue
        found.valued.update(param.opts)
        if not param.multiple:
            long = max(param.opts, key=len)
            found.single.update(dict.fromkeys(param.opts, long))
    found.interspersed = bool((command.context_settings or {}).get("allow_interspersed_args", True))
    return found
