"""Warnings for the ``$`` of a dotenv file that docker compose reads otherwise than envkeep.

envkeep's references are ``${NAME}`` only: an import keeps ``$NAME`` and ``$$`` as the text they
are, as python-dotenv and node do. docker compose (``env_file:`` and ``.env``) and a shell
expand ``$NAME`` and read ``$$`` as one ``$``, so a file written for compose
(``URL=$BASE_URL/api``) would give its service another value once imported. Single-quoted
values and an escaped ``\\$`` are literal for compose too, and ``$${`` is envkeep's literal
``${`` as it is compose's: those are left alone. A warning names the variable and the line,
never the value.

Compose's ``${NAME:?message}``, ``${NAME:+text}`` and the like (`core.shell_references`) are
refused with the file and line, before anything is written.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.dotenv import scan_dotenv
from envkeep.core.shell_references import refuse_shell_form

if TYPE_CHECKING:
    from envkeep.core.dotenv import RawEntry

__all__ = ["compose_dollar_warnings", "refuse_compose_forms"]

# An unescaped `$NAME`, or a `$$` that is not envkeep's `$${`.
_COMPOSE_DOLLAR_RE = re.compile(r"(?<![\\$])\$(?:[A-Za-z_]|\$(?!\{))")


def compose_dollar_warnings(text: str, *, source: str | None = None) -> tuple[str, ...]:
    """A warning naming the variables (and lines) of dotenv ``text`` whose unquoted or
    double-quoted value holds a ``$NAME`` or a ``$$`` that envkeep keeps as written and docker
    compose would not; none when there is no such value."""
    found = [
        f"{entry.name} (line {entry.line})"
        for entry in scan_dotenv(text, source=source)
        if _expanded_by_compose(text, entry)
    ]
    if not found:
        return ()
    said = (
        f"{', '.join(found)}: a $NAME without braces or a '$$' is kept as written (docker"
        " compose and a shell would expand it); write ${NAME} to refer to a variable, or"
        " single-quote the value to keep it as text"
    )
    return (said,)


def _expanded_by_compose(text: str, entry: RawEntry) -> bool:
    raw = text[entry.value_start : entry.value_end]
    if raw.startswith("'"):
        return False
    return _COMPOSE_DOLLAR_RE.search(raw) is not None


def refuse_compose_forms(text: str, *, source: str) -> None:
    """Refuse dotenv ``text`` whose unquoted or double-quoted value holds a ``${...}`` form of
    compose's that envkeep does not read, naming ``source``, the line and the variable. Only
    the value a name keeps is read: an earlier line a duplicate overrides is never imported."""
    kept = {entry.name: entry for entry in scan_dotenv(text, source=source)}
    for entry in sorted(kept.values(), key=lambda entry: entry.line):
        raw = text[entry.value_start : entry.value_end]
        if not raw.startswith("'"):  # an escaped `\${` is text, for compose too
            refuse_shell_form(entry.name, raw.replace("\\$", ""), where=f"{source}:{entry.line}: ")
