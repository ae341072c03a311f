"""An option that takes one value, given twice: refused, not the last one taken.

Click keeps the last of ``--env dev … --env prod`` without a word, so a command line edited
from the shell's history could write to prod while its start said dev. Options that may repeat
(``init --env``, ``--file``) and flags are left alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import typer


def refuse_repeated(app: typer.Typer, args: Sequence[str], words: str | None) -> None:
    """Raise UsageError naming the first option that takes one value and is given twice in
    ``args`` for the command ``words`` (``env rotate-key``); nothing for any other line."""
    if words is None:
        return
    single, interspersed = _single_valued(app, words.split())
    if not single:
        return
    seen: dict[str, int] = {}
    given = list(args)
    last = words.split()[-1]
    at = given.index(last) + 1 if last in given else 0
    while at < len(given) and given[at] != "--":  # after `--`: the command's own
        arg = given[at]
        name, eq, _value = arg.partition("=")
        short = arg[:2] if not arg.startswith("--") else ""
        option = single.get(name) if arg.startswith("--") else single.get(short)
        if option is not None:
            attached = eq if arg.startswith("--") else arg[2:]
            at += 1 if attached else 2  # its value: in the argument, or the next one
            seen[option] = seen.get(option, 0) + 1
            continue
        if not interspersed and (arg == "-" or not arg.startswith("-")):  # run: the command
            break
        at += 1
    for option, count in seen.items():
        if count > 1:
            times = "twice" if count == 2 else f"{count} times"
            raise UsageError(
                f"{option} is given {times}; it takes one value, and none was taken",
                hint=f"give {option} once; nothing was done",
            )


def _single_valued(app: typer.Typer, words: list[str]) -> tuple[dict[str, str], bool]:
    """Each name (``--env``, ``-e``) of the command's options that take one value, mapped to
    its long name (empty for a command it cannot find), and whether its options may follow
    its arguments (not run's: from its command's first word on, the words are the command's,
    ``grep -e a``). (Typer's click classes are its own copy's, so they are read by their
    attributes.)"""
    from typer.main import get_command

    command: Any = get_command(app)
    for word in words:
        command = getattr(command, "commands", {}).get(word)
    if command is None:
        return {}, True
    names: dict[str, str] = {}
    for param in command.params:
        if getattr(param, "param_type_name", None) != "option":
            continue
        if param.multiple or param.is_flag or getattr(param, "count", False):
            continue
        long = max(param.opts, key=len)
        for opt in param.opts:
            names[opt] = long
    interspersed = (command.context_settings or {}).get("allow_interspersed_args", True)
    return names, bool(interspersed)
