"""Parse and render dotenv files: ``NAME=value`` lines as python-dotenv, docker and dotenvx read.

Accepted syntax, one entry per line unless a quoted value spans several lines:

- blank lines, full-line ``#`` comments, leading whitespace, ``\\r\\n`` line endings, a UTF-8 BOM;
- an optional ``export`` prefix and whitespace around ``=``;
- unquoted values are trimmed; a ``#`` preceded by whitespace starts a comment, any other ``#``
  is part of the value; no escapes (but ``\\${`` read ``as_stored``);
- single-quoted values are literal; double-quoted values understand
  ``\\n \\r \\t \\" \\\\ \\$ \\' \\``` and keep any other backslash sequence as written; both may
  span lines;
- after a closing quote only whitespace and a ``# comment`` may follow;
- ``$NAME`` and ``${NAME}`` are kept as text: reference expansion happens elsewhere.

Parsed ``as_stored``, values come in envkeep's stored form, where ``${NAME}`` is a reference and
``$${`` a literal ``${`` (`envkeep.core.references`): a ``$`` the file writes literally (in single
quotes, or as ``\\$`` in double quotes) never starts a reference, nor does an unquoted ``\\${``
(the backslash dropped, as docker compose, dotenvx and dotenv-expand read it), while unquoted and
unescaped double-quoted ``${NAME}`` stay references, as docker compose reads them.

Error messages name the variable and the line, never the value: it may be a secret.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.core._dotenvquote import quote_value
from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "NAME_PATTERN",
    "DotenvEntry",
    "ParsedDotenv",
    "RawEntry",
    "is_valid_name",
    "parse_dotenv",
    "render_dotenv",
    "scan_dotenv",
]

NAME_PATTERN: str = r"[A-Za-z_][A-Za-z0-9_.-]*"

_NAME_RULE = (
    "a name starts with a letter or '_' and continues with letters, digits, '_', '.' or '-'"
)
_LINE_HINT = "each line must be NAME=value, a '# comment' or blank; quote values with spaces"
_SPACE = " \t\r\f\v"

_NAME_RE = re.compile(NAME_PATTERN)
_EXPORT_RE = re.compile(r"export[ \t\r\f\v]+(?=[^=\s])")
_WORD_RE = re.compile(r"[^=\s]*")
_SPACE_RE = re.compile(r"[ \t\r\f\v]*")
_INLINE_COMMENT_RE = re.compile(r"[ \t\r\f\v]#")
_DOUBLE_QUOTED_RE = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"', re.DOTALL)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {
    "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$", "'": "'", "`": "`",
}  # fmt: skip
# An escaped `\$` of a value read as stored, until the value is complete: NUL is in no input.
_LITERAL_DOLLAR = "\x00"


def is_valid_name(name: str) -> bool:
    """Return whether ``name`` is a valid variable name (a full match of ``NAME_PATTERN``)."""
    return _NAME_RE.fullmatch(name) is not None


@dataclass(frozen=True)
class DotenvEntry:
    """One ``NAME=value`` assignment; ``line`` is the 1-based line where it starts."""

    name: str
    value: str
    line: int


@dataclass(frozen=True)
class ParsedDotenv:
    """The entries of a dotenv file in file order (duplicates included) and parse warnings."""

    entries: tuple[DotenvEntry, ...]
    warnings: tuple[str, ...]

    @property
    def values(self) -> dict[str, str]:
        """Return name → value, the last assignment winning, ordered by first appearance."""
        return {entry.name: entry.value for entry in self.entries}


def parse_dotenv(text: str, *, source: str | None = None, as_stored: bool = False) -> ParsedDotenv:
    """Parse dotenv ``text``; raise ``ParseError`` (with ``line`` and ``source``) if malformed.

    ``source`` (a file name, say) is only used to label errors. Duplicate names are kept in
    ``entries`` and reported in ``warnings``; ``values`` lets the last one win. With
    ``as_stored``, values are in envkeep's stored form: every literal ``${`` of the file
    (single-quoted, or ``\\${`` quoted or not) is written ``$${``, so that only the file's
    unescaped unquoted and double-quoted ``${...}`` are references.
    """
    _reject_nul(text, source)
    body = text.removeprefix("\ufeff").replace("\r\n", "\n")
    scanner = _Scanner(body, source, as_stored=as_stored)
    entries: list[DotenvEntry] = []
    while (entry := scanner.next_entry()) is not None:
        entries.append(entry)
    return ParsedDotenv(entries=tuple(entries), warnings=_duplicate_warnings(entries))


@dataclass(frozen=True)
class RawEntry:
    """An entry with where its value is written: ``text[value_start:value_end]`` is the raw value.

    The raw value is the text as written, quotes included (a quoted one may span lines), without
    the whitespace around it or a trailing comment. Offsets index the text given to
    :func:`scan_dotenv`, byte order mark and ``\\r\\n`` line endings included. The repr is masked.
    """

    name: str
    value: str = field(repr=False)
    line: int
    value_start: int
    value_end: int


def scan_dotenv(text: str, *, source: str | None = None) -> tuple[RawEntry, ...]:
    """Parse ``text`` like :func:`parse_dotenv` and also return where each raw value is written.

    It runs the same scanner, so the two agree on every input: the same entries (names, values,
    lines) in the same order, and the same ``ParseError`` for malformed text.
    """
    _reject_nul(text, source)
    body = text.removeprefix("\ufeff")
    to_original = _OffsetMap(body, offset=len(text) - len(body))
    scanner = _Scanner(body.replace("\r\n", "\n"), source)
    entries: list[RawEntry] = []
    while (entry := scanner.next_entry()) is not None:
        start, end = scanner.value_span
        entries.append(
            RawEntry(entry.name, entry.value, entry.line, to_original(start), to_original(end))
        )
    return tuple(entries)


class _OffsetMap:
    """Maps an offset in ``\\r\\n``-normalised text back to the text before normalising."""

    def __init__(self, body: str, *, offset: int) -> None:
        # The normalised offset of the '\n' of each '\r\n', whose '\r' was dropped.
        self.dropped = [m.start() - i for i, m in enumerate(re.finditer("\r\n", body))]
        self.offset = offset

    def __call__(self, position: int) -> int:
        return self.offset + position + bisect_left(self.dropped, position)


def render_dotenv(values: Mapping[str, str], *, header: str | None = None) -> str:
    """Render ``values`` as dotenv text that ``parse_dotenv`` reads back unchanged.

    One ``NAME=value`` line per item in mapping order, then a newline. Each value is written
    the way the most readers read it back exactly: docker compose, python-dotenv, node's
    ``--env-file`` and dotenv, dotenvx (`envkeep.core._dotenvquote` says how, and which
    readers still differ): unquoted when made only of safe characters; else single-quoted,
    backslashes and ``$`` as they are, unless it holds a ``'``, a CR or a trailing ``\\``;
    else unquoted when only a trailing ``\\`` and other backslashes kept it from that (a
    blank line follows it); else double-quoted, escaping only what some reader would
    otherwise read differently.
    A shell that sources the file (``set -a; . .env``) runs nothing a value holds, no ``$(…)``
    and no backquotes; and each ``${`` is single-quoted or escaped, literal text that
    ``parse_dotenv(as_stored=True)`` never takes for a reference.
    Each line of ``header`` becomes a ``# `` comment at the top.
    Raise ``InputError`` for an invalid name or a NUL character.
    """
    lines = [] if header is None else [_comment_line(line) for line in header.splitlines()]
    lines.extend(_render_entry(name, value) for name, value in values.items())
    return "".join(f"{line}\n" for line in lines)


def _comment_line(line: str) -> str:
    if "\x00" in line:
        raise InputError("the header contains a NUL character, which a dotenv file cannot hold")
    return f"# {line}".rstrip(_SPACE)


def _render_entry(name: str, value: str) -> str:
    if not is_valid_name(name):
        raise InputError(f"invalid variable name {_shorten(name)!r}: {_NAME_RULE}")
    if "\x00" in value:
        raise InputError(
            f"the value of {name!r} contains a NUL character, which a dotenv file cannot hold"
        )
    line = f"{name}={quote_value(value)}"
    # Unquoted, a trailing backslash would join the next line for a shell that sources the
    # file: a blank line ends the assignment there (`_dotenvquote`).
    return f"{line}\n" if line.endswith("\\") else line


def _reject_nul(text: str, source: str | None) -> None:
    index = text.find("\x00")
    if index >= 0:
        line = text.count("\n", 0, index) + 1
        raise ParseError("NUL character in the input", line=line, source=source)


def _duplicate_warnings(entries: list[DotenvEntry]) -> tuple[str, ...]:
    first_line: dict[str, int] = {}
    warnings: list[str] = []
    for entry in entries:
        first = first_line.setdefault(entry.name, entry.line)
        if first != entry.line:
            warnings.append(
                f"line {entry.line}: duplicate key {entry.name!r} (first set on line {first});"
                " the last value wins"
            )
    return tuple(warnings)


def _shorten(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else f"{name[:limit]}…"


def _decode_escape(match: re.Match[str]) -> str:
    char = match.group(1)
    return _ESCAPES.get(char, "\\" + char)


def _decode_escape_marking_dollars(match: re.Match[str]) -> str:
    return _LITERAL_DOLLAR if match.group(1) == "$" else _decode_escape(match)


def _stored_literal_dollars(value: str) -> str:
    """A double-quoted ``value``, its ``\\$`` decoded to `_LITERAL_DOLLAR`, in stored form.

    A literal ``$`` before ``{`` becomes ``$${``, any other one ``$``; an unescaped ``$`` stays
    as written (one before ``\\${`` is literal both in the file and stored, before ``$${``).
    """
    return value.replace(_LITERAL_DOLLAR + "{", "$${").replace(_LITERAL_DOLLAR, "$")


class _Scanner:
    """A cursor over normalised dotenv text that yields one entry at a time."""

    def __init__(self, text: str, source: str | None, *, as_stored: bool = False) -> None:
        self.text = text
        self.source = source
        self.as_stored = as_stored
        self.pos = 0
        self.line = 1
        self.value_span = (0, 0)  # where the raw value of the last entry is written

    def next_entry(self) -> DotenvEntry | None:
        """Skip blank and comment lines; parse and return the next entry, or None at the end."""
        while self.pos < len(self.text):
            content = self.text[self.pos : self._line_end()].strip(_SPACE)
            if content and not content.startswith("#"):
                return self._entry()
            self._next_line()
        return None

    def _line_end(self) -> int:
        end = self.text.find("\n", self.pos)
        return len(self.text) if end < 0 else end

    def _next_line(self) -> None:
        self.pos = self._line_end() + 1
        self.line += 1

    def _skip(self, pattern: re.Pattern[str]) -> str:
        match = pattern.match(self.text, self.pos)
        if match is None:
            return ""
        self.pos = match.end()
        return match.group()

    def _entry(self) -> DotenvEntry:
        start_line = self.line
        name = self._name()
        value = self._value(name)
        self._next_line()
        return DotenvEntry(name=name, value=value, line=start_line)

    def _name(self) -> str:
        self._skip(_SPACE_RE)
        self._skip(_EXPORT_RE)
        word = self._skip(_WORD_RE)
        self._skip(_SPACE_RE)
        if not self.text.startswith("=", self.pos):
            raise ParseError(
                "expected '=' after the variable name",
                line=self.line,
                source=self.source,
                hint=_LINE_HINT,
            )
        if not word:
            raise ParseError("missing variable name before '='", line=self.line, source=self.source)
        if not is_valid_name(word):
            raise ParseError(
                f"invalid variable name {_shorten(word)!r}: {_NAME_RULE}",
                line=self.line,
                source=self.source,
            )
        self.pos += 1
        return word

    def _value(self, name: str) -> str:
        after_equals, start_line = self.pos, self.line
        self._skip(_SPACE_RE)
        quote, quote_start = self.text[self.pos : self.pos + 1], self.pos
        if quote == "'":
            value = self._single_quoted(name)
        elif quote == '"':
            value = self._double_quoted(name)
        else:
            # From just after '=', so that in `KEY= # note` the whitespace starts a comment.
            self.pos = after_equals
            return self._unquoted()
        self.value_span = (quote_start, self.pos)
        self._expect_line_end(name, start_line)
        return value

    def _unquoted(self) -> str:
        raw = self.text[self.pos : self._line_end()]
        comment = _INLINE_COMMENT_RE.search(raw)
        if comment is not None:
            raw = raw[: comment.start()]
        value = raw.strip(_SPACE)
        start = self.pos + len(raw) - len(raw.lstrip(_SPACE))
        self.value_span = (start, start + len(value))
        self.pos = self._line_end()
        if self.as_stored and "\\${" in value:  # `\${` is a literal `${`, as compose reads it
            return value.replace("\\${", "$${")
        return value

    def _single_quoted(self, name: str) -> str:
        close = self.text.find("'", self.pos + 1)
        if close < 0:
            raise self._unterminated("single", name)
        value = self._consume_quoted(close + 1)[1:-1]
        return value.replace("${", "$${") if self.as_stored else value

    def _double_quoted(self, name: str) -> str:
        match = _DOUBLE_QUOTED_RE.match(self.text, self.pos)
        if match is None:
            raise self._unterminated("double", name)
        line = self.line
        self._consume_quoted(match.end())
        if not self.as_stored:
            return _ESCAPE_RE.sub(_decode_escape, match.group(1))
        marked = _ESCAPE_RE.sub(_decode_escape_marking_dollars, match.group(1))
        if _LITERAL_DOLLAR + "${" in marked:
            # Stored, `$${` is always the escape of a literal `${`: no way to write this.
            raise ParseError(
                f"the value of {name!r} has an escaped '$' right before a '${{' reference,"
                " which envkeep cannot store",
                line=line,
                source=self.source,
                hint="envkeep reads '$${' as a literal '${'; put something between the two",
            )
        return _stored_literal_dollars(marked)

    def _consume_quoted(self, end: int) -> str:
        quoted = self.text[self.pos : end]
        self.line += quoted.count("\n")
        self.pos = end
        return quoted

    def _unterminated(self, kind: str, name: str) -> ParseError:
        return ParseError(
            f"unterminated {kind} quote in the value of {name!r}",
            line=self.line,
            source=self.source,
            hint=f"close the {kind} quote that opens on this line",
        )

    def _expect_line_end(self, name: str, start_line: int) -> None:
        rest = self.text[self.pos : self._line_end()].lstrip(_SPACE)
        if rest and not rest.startswith("#"):
            opened = "" if start_line == self.line else f" (the quote opened on line {start_line})"
            raise ParseError(
                f"unexpected text after the closing quote of {name!r}{opened}",
                line=self.line,
                source=self.source,
                hint="only a '# comment' may follow a quoted value; "
                'escape a quote inside a double-quoted value as \\"',
            )
        self.pos = self._line_end()
