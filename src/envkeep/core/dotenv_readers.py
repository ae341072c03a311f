"""Which readers of a dotenv file would read a value `render_dotenv` writes otherwise than it is.

A value that must be double-quoted (it holds a ``'``, a CR or a trailing backslash, with more
than safe characters) is written with escapes the readers decode differently
(`envkeep.core._dotenvquote` lists who decodes what): there is no quoting they all agree on.
A shell that sources the file (``set -a; . ./api.env``) is counted with the dotenv readers:
people do, and it keeps ``\\n`` and ``\\r`` as written and drops the backslashes of a value written
unquoted because it ends in one (``C:\\temp\\``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core._dotenvquote import quote_value
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["misread_by", "misread_warnings"]

SHELL = "a shell"
DOTENV_READERS = ("node", "python-dotenv", "docker compose", "npm's dotenv", "dotenvx")
READERS = (*DOTENV_READERS, SHELL)
# Each escape double quotes may hold, and the readers that do not decode it as envkeep does.
_MISREAD_BY = {
    '\\"': ("node", "npm's dotenv", "dotenvx"),  # node ends the value there; the others keep \
    "\\\\": ("node", "npm's dotenv", "dotenvx"),
    "\\$": ("node", "python-dotenv", "npm's dotenv"),
    "\\`": DOTENV_READERS,
    "\\n": (SHELL,),
    "\\r": ("node", SHELL),
}
_ESCAPE_RE = re.compile(r"\\.", re.DOTALL)
_SHELL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def misread_by(value: str) -> tuple[str, ...]:
    """The readers (of ``READERS``, in that order) that read ``value`` otherwise than it is
    once `render_dotenv` has written it; none for a value they all read as written."""
    quoted = quote_value(value)
    if not quoted.startswith(("'", '"')):
        return (SHELL,) if "\\" in quoted else ()  # `C:\temp\`: a shell drops its backslashes
    if quoted.startswith("'"):  # python-dotenv decodes `\\` there, and expands `${X}`
        return ("python-dotenv",) if "\\\\" in quoted or "${" in value else ()
    escapes = _ESCAPE_RE.findall(quoted[1:-1])
    misreading = {reader for escape in escapes for reader in _MISREAD_BY.get(escape, ())}
    if "${" in value:  # python-dotenv expands it, whatever the quotes (`interpolate=True`)
        misreading.add("python-dotenv")
    if quoted.endswith('\\"'):  # compose takes a quote after a backslash for an escaped one
        misreading.add("docker compose")
    return tuple(reader for reader in READERS if reader in misreading)


def misread_warnings(entries: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """One line per set of readers, naming the variables they would read otherwise (never a
    value: it may be a secret); none when every reader reads every value as written."""
    by_name: dict[str, set[str]] = {}
    for name, value in entries:
        by_name.setdefault(name, set()).update(misread_by(value))
    grouped: dict[tuple[str, ...], list[str]] = {}
    for name, readers in by_name.items():
        if readers:
            grouped.setdefault(tuple(r for r in READERS if r in readers), []).append(name)
    misread = tuple(
        f"{spoken_list(readers)} would read {', '.join(names)} otherwise than stored: no quoting"
        " in a dotenv file serves every reader for such a value"
        for readers, names in grouped.items()
    )
    return misread + _unsettable(by_name)


def _unsettable(names: Iterable[str]) -> tuple[str, ...]:
    """The line for names a shell that sources the file cannot set (``my-dash``, ``a.b``): it
    runs each such line as a command, which fails, and goes on without the variable."""
    dotted = sorted(name for name in names if _SHELL_NAME_RE.fullmatch(name) is None)
    if not dotted:
        return ()
    said = (
        f"{SHELL} would not set {', '.join(dotted)}: a shell variable's name holds only"
        " letters, digits and '_', so sourcing the file runs such a line as a command"
    )
    return (said,)
