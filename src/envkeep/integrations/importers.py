"""Reading variables from dotenv, JSON and YAML files into flat ``NAME -> value`` strings.

JSON and YAML documents must be an object at the top level. Nested objects are flattened with
``_`` (``{"db": {"host": "x"}}`` gives ``db_host``); scalars become text (``true``/``false``,
``str()`` of a number, ``""`` for null, ISO 8601 for a YAML date) and lists compact JSON.
Errors name the source, the line or the key path, never a value: values are secrets.
``yaml`` is imported only when a YAML file is read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from envkeep.core.dotenv import is_valid_name, parse_dotenv
from envkeep.core.errors import InputError, ParseError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import yaml

__all__ = ["FORMATS", "MAX_IMPORT_BYTES", "ImportResult", "detect_format", "parse_import"]

MAX_IMPORT_BYTES = 10 * 1024 * 1024
FORMATS = ("dotenv", "json", "yaml")

_MB = 1024 * 1024
_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}
# Deeper nesting than this is not configuration; the limit keeps recursion bounded.
_MAX_DEPTH = 64
# YAML aliases share nodes, so a small file can expand enormously. No real environment gets
# near this many keys and list items (Linux caps one variable at 128 KiB, all at about 2 MiB).
_MAX_NODES = 100_000
# PyYAML's scanner quotes the character it stopped at, which may be part of a secret.
_SCANNED_CHAR = re.compile(r"""\b(character|found) (?:'[^']*'|"[^"]*")""")
_TAG = re.compile(r"constructor for the tag '([^']*)'")
_STANDARD_TAG = "tag:yaml.org,2002:"
_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
    bytes: "binary data",
    set: "a set",
}


@dataclass(frozen=True)
class ImportResult:
    """Flat ``NAME -> value`` strings in document order and warnings about the input."""

    values: dict[str, str]
    warnings: tuple[str, ...]


def detect_format(path_name: str) -> str:
    """Guess the format from a file name: ``.json``, ``.yaml``/``.yml``, else ``dotenv``.

    Everything else (``.env``, ``.env.production``, ``prod.env``, no extension) is dotenv.
    """
    return _SUFFIXES.get(PurePath(path_name).suffix.lower(), "dotenv")


def parse_import(data: bytes, *, fmt: str, source: str) -> ImportResult:
    """Parse ``data`` (the bytes of ``source``) as ``fmt``, one of ``FORMATS``.

    Raise ``InputError`` for input over ``MAX_IMPORT_BYTES`` (checked before decoding), text
    that is not UTF-8, a top level that is not an object, a key that cannot be a variable name
    or two keys that flatten to the same name; ``ParseError`` (with the line) for bad syntax.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown import format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(
            f"{source} is {len(data) / _MB:.1f} MB; imports are limited to "
            f"{MAX_IMPORT_BYTES // _MB} MB",
            hint="split it into smaller files and import each one",
        )
    text = _decode(data, source).removeprefix("\ufeff")
    if fmt == "dotenv":
        parsed = parse_dotenv(text, source=source)
        return ImportResult(values=parsed.values, warnings=parsed.warnings)
    document = _load_json(text, source) if fmt == "json" else _load_yaml(text, source)
    if not isinstance(document, dict):
        raise InputError(
            f"{source}: expected an object of NAME: value at the top level, "
            f"got {_type_name(document)}",
        )
    flattener = _Flattener(source)
    flattener.add(document, ())
    return ImportResult(values=flattener.values, warnings=tuple(flattener.warnings))


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            "the file is not UTF-8 text",
            line=line,
            source=source,
            hint="convert it to UTF-8 (for example with iconv) and import it again",
        ) from None


def _load_json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg names what the parser expected, never text from the document.
        raise ParseError(f"invalid JSON: {exc.msg}", line=exc.lineno, source=source) from None
    except RecursionError:
        raise _too_deep(source) from None
    except ValueError:
        # Python refuses to convert integers of more than 4300 digits.
        raise InputError(f"{source}: a number in the JSON has too many digits") from None


def _load_yaml(text: str, source: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_parse_error(exc, source) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ParseError(
            "a control character that YAML does not allow", line=line, source=source
        ) from None
    except RecursionError:
        raise _too_deep(source) from None
    except (ValueError, LookupError, AttributeError, TypeError):
        # PyYAML's constructors raise these, quoting the text, for `!!int abc`, `!!bool x`,
        # `!!timestamp x` or an integer of more than 4300 digits.
        raise InputError(
            f"{source}: a number or a !!tagged value in the YAML cannot be converted",
            hint="quote it to import it as text",
        ) from None


def _yaml_parse_error(exc: yaml.MarkedYAMLError, source: str) -> ParseError:
    import yaml

    mark = exc.problem_mark or exc.context_mark
    line = None if mark is None else mark.line + 1
    problem = exc.problem or exc.context or "invalid syntax"
    tag = _TAG.search(problem)
    if tag is not None:
        shown = tag.group(1).replace(_STANDARD_TAG, "!!", 1)
        return ParseError(
            f"the YAML tag '{shown}' is not allowed",
            line=line,
            source=source,
            hint="only plain mappings, lists, strings, numbers, booleans and null are imported",
        )
    if isinstance(exc, yaml.scanner.ScannerError):
        problem = _SCANNED_CHAR.sub(_unquote_scanned, problem)
    return ParseError(f"invalid YAML: {problem}", line=line, source=source)


def _unquote_scanned(match: re.Match[str]) -> str:
    return "character" if match.group(1) == "character" else "found something else"


def _too_deep(source: str) -> InputError:
    return InputError(f"{source}: the document is nested too deeply to be configuration")


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (an empty document or null)"
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")


def _show(path: tuple[str, ...]) -> str:
    shown = ".".join(path)
    return repr(shown if len(shown) <= 60 else f"{shown[:60]}…")


class _Flattener:
    """Accumulates the flat names of one document, remembering the key path of each."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.values: dict[str, str] = {}
        self.paths: dict[str, tuple[str, ...]] = {}
        self.warnings: list[str] = []
        self.nodes = 0

    def add(self, node: Mapping[Any, Any], path: tuple[str, ...]) -> None:
        """Flatten the object ``node`` found at key ``path`` into ``values``."""
        self._count(len(path))
        if path and not node:
            self.warnings.append(f"key {_show(path)} is an empty object; nothing was imported")
        for key, value in node.items():
            child = (*path, self._key(key, path))
            self._count(len(child))
            if isinstance(value, dict):
                self.add(value, child)
            else:
                self._set(child, self._text(value, child))

    def _key(self, key: object, path: tuple[str, ...]) -> str:
        if not isinstance(key, str):
            shown = _show((*path, str(key)))
            raise InputError(
                f"{self.source}: key {shown} is {_type_name(key)}, not text",
                hint="quote the key: YAML reads unquoted numbers, yes/no, on/off and "
                "true/false as other types",
            )
        return key

    def _set(self, path: tuple[str, ...], value: str) -> None:
        name = "_".join(path)
        if not is_valid_name(name):
            raise InputError(
                f"{self.source}: key {_show(path)} cannot become a variable name",
                hint="a name starts with a letter or '_' and continues with letters, digits, "
                "'_', '.' or '-'; rename the key",
            )
        if name in self.paths:
            raise InputError(
                f"{self.source}: keys {_show(self.paths[name])} and {_show(path)} both become "
                f"the variable '{name}'",
                hint="rename one of them",
            )
        if "\x00" in value:
            raise InputError(
                f"{self.source}: the value of key {_show(path)} contains a NUL character, "
                "which no environment variable can hold"
            )
        self.paths[name] = path
        self.values[name] = value

    def _text(self, value: object, path: tuple[str, ...]) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if value is None:
            return ""
        if isinstance(value, dt.date):  # datetime is a date too
            return value.isoformat()
        if isinstance(value, list | tuple):
            return self._list_text(value, path)
        raise InputError(
            f"{self.source}: the value of key {_show(path)} is {_type_name(value)}, "
            "which cannot become text",
            hint="use a string, number, boolean, null, list or nested object",
        )

    def _list_text(self, value: list[Any] | tuple[Any, ...], path: tuple[str, ...]) -> str:
        self._count_items(value, len(path))
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_iso)
        except (TypeError, ValueError):
            raise InputError(
                f"{self.source}: the list at key {_show(path)} holds something that is not "
                "plain data",
                hint="use strings, numbers, booleans, null, lists and objects with text keys",
            ) from None

    def _count_items(self, value: object, depth: int) -> None:
        """Walk a list before serialising it, so that aliases cannot make it explode."""
        self._count(depth)
        if isinstance(value, list | tuple):
            for item in value:
                self._count_items(item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                self._count_items(item, depth + 1)

    def _count(self, depth: int) -> None:
        self.nodes += 1
        if depth > _MAX_DEPTH:
            raise _too_deep(self.source)
        if self.nodes > _MAX_NODES:
            raise InputError(
                f"{self.source}: the document holds more than {_MAX_NODES:,} keys and list "
                "items, which is more than an environment can hold",
                hint="split it into smaller files; YAML aliases (*name) count every time "
                "they are used",
            )


def _iso(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
