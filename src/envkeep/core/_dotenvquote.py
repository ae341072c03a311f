"""How `envkeep.core.dotenv.render_dotenv` quotes a value: the form the most readers read back.

The readers: docker compose (``env_file`` and ``.env``), python-dotenv, node's ``--env-file``,
npm's dotenv, dotenvx, a shell that sources the file (``set -a; . .env``), and envkeep's own
``parse_dotenv``. Checked with compose 2.40, python-dotenv 1.2, node 20.20, dotenv 18 and
dotenvx 2.38 (``tests/test_dotenv_readers.py`` runs node's, python-dotenv's and envkeep's):

- Unquoted, safe characters only: every reader (not ``~``, which a shell expands to a home
  directory at the start of a value or after a ``:``).
- Single quotes: every reader keeps what they hold as written, backslashes, ``$``, ``"``, tabs
  and line breaks included (node reads multi-line values since 20.12), but for python-dotenv,
  which reads ``\\\\`` as one backslash and expands ``${NAME}`` unless ``interpolate=False``.
  They cannot hold a ``'`` (no reader but python-dotenv has an escape for it), a CR
  (python-dotenv reads it as a line break, node drops it), or a trailing backslash: python-dotenv
  reads ``\\'`` as an escaped quote and the value runs on into the entries below it.
- Double quotes: the readers decode different escapes. python-dotenv: ``\\\\ \\' \\" \\a \\b
  \\f \\n \\r \\t \\v``; compose: the same but ``\\'``, plus ``\\$`` and octal ``\\0NN``;
  envkeep: ``\\n \\r \\t \\" \\\\ \\$ \\' \\```; node: ``\\n`` only, and it ends the value at
  the first ``"``; npm's dotenv: ``\\n \\r``; dotenvx: ``\\n \\r \\t \\$``. A shell decodes
  ``\\\\ \\$ \\` \\"`` and expands ``$…`` and backquotes; compose and dotenvx expand ``$NAME``,
  dotenvx runs ``$(…)``. Every other backslash is kept by all.
- Unquoted, backslashes: kept as written by every reader but a shell, which drops a backslash
  and reads a trailing one as joining the next line (python-dotenv 1.2.2 and 1.2.4 and node 20
  checked; compose not checked here).

So a value is unquoted if it can be, else single-quoted if they hold it, else unquoted if only a
trailing backslash kept it from single quotes and it is otherwise made of safe characters and
backslashes (``C:\\temp\\``), a blank line after it so that a shell joins nothing to it; else
double-quoted with the fewest escapes: ``"``, a backslash only before a character some reader
decodes after one (``\\0`` too: compose reads ``\\0NN`` as octal) or at the end, a ``$`` only
where a shell, compose or dotenvx would expand it, backquotes (a shell must run nothing a value
holds), newline and CR. A multi-line value is single-quoted over several lines when single
quotes hold it: every reader above, a shell included, reads its line breaks so, whereas the
``\\n`` escape, which every dotenv reader decodes in double quotes, a shell keeps as a
backslash and an ``n`` (a PEM key sourced by a shell came out on one line so). Only node
before 20.12 and line-by-line tools (``docker run --env-file``, which takes no quotes either)
read no multi-line value. A multi-line value that must be double-quoted keeps ``\\n`` on one
line: node ends a double-quoted value at the first ``\\"`` and, were the line breaks written,
would read the rest as entries and swallow those below it.

Where readers still differ, so that some read a value otherwise than it is:
- the escapes of a value that must be double-quoted (it has a ``'``, a CR or a trailing
  backslash): ``\\"`` and ``\\\\`` are decoded by envkeep, python-dotenv, compose and a shell,
  kept by npm's dotenv and dotenvx, and node ends the value at ``\\"``; ``\\$`` is decoded by
  envkeep, compose, dotenvx and a shell, kept by python-dotenv, node and npm's dotenv;
  ``\\``` only by envkeep and a shell (backquotes are escaped so that a shell runs nothing);
  ``\\r`` by all but node and a shell, ``\\n`` by all but a shell;
- a trailing backslash written unquoted: a shell drops every backslash of it (``C:temp``);
- a trailing backslash in a value that needs quotes for more (a space, a ``'``: ``C:\\My
  Files\\``), so double-quoted and escaped as ``\\\\"``: python-dotenv up to 1.2.2, npm's
  dotenv and dotenvx read its ``\\"`` as a quote, and the value runs on to the next
  double-quoted value if there is one, taking the entries between with it; node keeps the
  doubled backslashes. No quoting serves them all (single quotes fail python-dotenv the same
  way, and unquoted a shell would split the value into a command);
- ``\\\\`` in single quotes: python-dotenv reads one backslash;
- ``${NAME}``, however quoted or escaped: python-dotenv expands it unless ``interpolate=False``;
- a value ending in a backslash that must be double-quoted (``it's C:\\``): its closing
  ``\\\\"`` is, for compose, an escaped quote (it looks at the one character before a quote),
  and the value runs on;
- a single-quoted value over several lines: node before 20.12, which added them, misreads it.
"""

from __future__ import annotations

import re

__all__ = ["quote_value"]

# No `~`: a shell that sources the file expands one at the start of a value or after a `:`
# (`~/x`, `/a:~/b`) to a home directory.
_SAFE_VALUE_RE = re.compile(r"[A-Za-z0-9_\-./:@%+,=]+")
# A value that ends in a backslash and is otherwise safe, written unquoted (module docstring).
_TRAILING_BACKSLASH_RE = re.compile(r"[A-Za-z0-9_\-./:@%+,=~\\]*\\")
_NOT_SINGLE_QUOTABLE_RE = re.compile(r"['\r]|\\\Z")
# What double quotes escape, in one pass: each character that some reader would not read as
# written (the module docstring). A `$` before `-`, digits or `@*#?!$` is a shell parameter.
_DOUBLE_QUOTE_ESCAPE_RE = re.compile(
    r"""\\(?=[\\'"abfnrtv$`\n\r0]|\Z)|\$(?=[A-Za-z0-9_{(\[@*#?!$-])|["`\n\r]"""
)
_DOUBLE_QUOTE_ESCAPES = {
    "\\": "\\\\", "$": "\\$", '"': '\\"', "`": "\\`", "\n": "\\n", "\r": "\\r",
}  # fmt: skip


def quote_value(value: str) -> str:
    """``value`` as written after ``NAME=``: unquoted, single- or double-quoted (module doc)."""
    if value == "" or _SAFE_VALUE_RE.fullmatch(value):
        return value
    if _NOT_SINGLE_QUOTABLE_RE.search(value) is None:
        return f"'{value}'"
    if _TRAILING_BACKSLASH_RE.fullmatch(value):
        return value
    return '"' + _DOUBLE_QUOTE_ESCAPE_RE.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    return _DOUBLE_QUOTE_ESCAPES[match.group()]
