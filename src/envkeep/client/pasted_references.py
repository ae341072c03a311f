"""A reference typed where a variable's name belongs: `envkeep get '${PORT}'`, a value's text
pasted, or a shell's `$PORT` kept by quotes. No name starts with ``$``, so it is never one;
what it names gives the command to run instead (`variable_not_found` says it for the commands
that look a name up, `refuse_pasted_names` for `set` and `promote`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.dotenv import is_valid_name
from envkeep.core.errors import UsageError
from envkeep.core.references import Reference, find_references, syntax_problem

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence


def pasted_reference(given: str, services: Collection[str] = ()) -> Reference | None:
    """What ``given`` refers to when it is one reference as a value writes it (``${PORT}``,
    ``${PORT:-80}``, ``${api.PORT}`` when api is one of ``services``) or as a shell does
    (``$PORT``); None when it is anything else."""
    if given.startswith("$") and is_valid_name(given[1:]):
        return Reference(None, given[1:])
    whole = given.startswith("${") and given.endswith("}") and "}" not in given[2:-1]
    if not whole or syntax_problem(given) is not None:
        return None
    found = find_references(given, services=services)
    return found[0] if found else None


def takes_a_name(command: str, given: str) -> str:
    """The first words of the refusal: what ``command`` takes, and what it was given."""
    return f"{command} takes a variable's name, not a reference like '{given}'"


def refuse_pasted_names(command: str, names: Sequence[str], *, form: str = "{}") -> None:
    """Refuse ``names`` given to ``command`` (its words before them) when one is a reference
    (``set '${PORT}=80'``, ``promote … '${PORT}'``): the hint is the command again with each
    name alone, written as ``form`` (``{}=VALUE`` for `set`: never the value given)."""
    pasted = [pasted_reference(name) for name in names]
    first = next((name for name, found in zip(names, pasted, strict=True) if found), None)
    if first is None:
        return
    alone = [
        form.format(found.name if found else name)
        for name, found in zip(names, pasted, strict=True)
    ]
    raise UsageError(
        takes_a_name(command.partition(" ")[0], first),
        hint=f"write the name alone: envkeep {command} {' '.join(alone)}",
    )
