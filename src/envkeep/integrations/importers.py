"""Reading variables from dotenv, JSON and YAML files into flat ``NAME -> value`` strings.

The values are in envkeep's stored form, where ``${NAME}`` is a reference: a dotenv file's
literal ``${`` (single-quoted, or ``\\${`` in double quotes) is stored ``$${``.

JSON and YAML documents must be an object at the top level. Nested objects are flattened with
``_`` (``{"db": {"host": "x"}}`` gives ``db_host``); scalars become the text the document writes
(``1.10``, ``0123``, ``NO`` and ``12:30:00`` stay as they are; ``""`` for null) and lists
compact JSON. A key set twice in one object is a warning, as in a dotenv file: the last wins.
Errors name the source, the line or the key path, never a value: values are secrets.
``yaml`` is imported only when a YAML file is read.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from envkeep.core.dotenv import is_valid_name, parse_dotenv
from envkeep.core.errors import InputError, ParseError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

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
# The tag a plain YAML number is read with, so that it keeps its text.
_NUMBER_TAG = "tag:envkeep,2024:number"
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class _Number(str):
    """A number as the document writes it (``1.10``, ``0123``, ``1e400``): never converted."""

    __slots__ = ()


@dataclass(frozen=True)
class _Repeat:
    """A key set again in the same object; the lines are YAML's (JSON's decoder has none)."""

    key: str
    line: int | None = None
    first: int | None = None


class _Object(dict[Any, Any]):
    """An object of the document, with the keys it sets more than once."""

    repeats: tuple[_Repeat, ...] = ()


_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    _Number: "a number",
    type(None): "null",
    bytes: "binary data",
    set: "a set",
}


@dataclass(frozen=True)
class ImportResult:
    """Flat ``NAME -> value`` strings in document order, in stored form (``${NAME}`` is a
    reference, ``$${`` a literal ``${``), and warnings about the input."""

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
        parsed = parse_dotenv(text, source=source, as_stored=True)
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
        return json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_int=_Number,
            parse_float=_Number,
            parse_constant=_Number,  # NaN, Infinity
        )
    except json.JSONDecodeError as exc:
        # exc.msg names what the parser expected, never text from the document.
        raise ParseError(f"invalid JSON: {exc.msg}", line=exc.lineno, source=source) from None
    except RecursionError:
        raise _too_deep(source) from None


def _json_object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        found.repeats = _repeats((key, key, None) for key, _ in pairs)
    return found


def _repeats(keys: Iterable[tuple[object, str, int | None]]) -> tuple[_Repeat, ...]:
    """The keys, each ``(identity, text, line)``, that repeat an identity seen before."""
    first: dict[object, int | None] = {}
    repeats: list[_Repeat] = []
    for identity, text, line in keys:
        if identity in first:
            repeats.append(_Repeat(text, line, first[identity]))
        else:
            first[identity] = line
    return tuple(repeats)


def _load_yaml(text: str, source: str) -> object:
    import yaml

    try:
        return _read_yaml(text)
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
        # `!!timestamp x` or an `!!int` of more than 4300 digits.
        raise InputError(
            f"{source}: a number or a !!tagged value in the YAML cannot be converted",
            hint="quote it to import it as text",
        ) from None


def _read_yaml(text: str) -> object:
    loader = _text_loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


@functools.cache
def _text_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader, but a plain scalar keeps its text: only ``null`` (``~``, empty)
    and ``true``/``false`` are read as such, a number as its `_Number` text, anything else (a
    date, ``yes``, ``NO``) as a string; an explicit tag (``!!int 12``) still converts. Each
    object notes its repeated keys."""
    import yaml
    from yaml.nodes import ScalarNode

    numbers = {f"{_STANDARD_TAG}int", f"{_STANDARD_TAG}float"}
    boolean, merge = f"{_STANDARD_TAG}bool", f"{_STANDARD_TAG}merge"
    kept = {f"{_STANDARD_TAG}null", merge, boolean, *numbers}
    true_false = re.compile(r"^(?:true|false)$")
    resolvers = {
        first: [
            (_NUMBER_TAG if tag in numbers else tag, true_false if tag == boolean else pattern)
            for tag, pattern in entries
            if tag in kept
        ]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    class TextLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = resolvers

    def number(loader: TextLoader, node: yaml.ScalarNode) -> _Number:
        return _Number(node.value)

    def mapping(loader: TextLoader, node: yaml.MappingNode) -> Iterator[_Object]:
        found = _Object()
        yield found
        # Before construct_mapping flattens merge keys (<<) in: their keys may be set again.
        keys = (k for k, _ in node.value if isinstance(k, ScalarNode) and k.tag != merge)
        found.repeats = _repeats(((k.tag, k.value), k.value, k.start_mark.line + 1) for k in keys)
        found.update(loader.construct_mapping(node))

    TextLoader.add_constructor(_NUMBER_TAG, number)
    TextLoader.add_constructor(f"{_STANDARD_TAG}map", mapping)
    return TextLoader


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
        self._warn_repeats(node, path)
        if path and not node:
            self.warnings.append(f"key {_show(path)} is an empty object; nothing was imported")
        for key, value in node.items():
            child = (*path, self._key(key, path))
            self._count(len(child))
            if isinstance(value, dict):
                self.add(value, child)
            else:
                self._set(child, self._text(value, child))

    def _warn_repeats(self, node: object, path: tuple[str, ...]) -> None:
        for repeat in node.repeats if isinstance(node, _Object) else ():
            where = "" if repeat.line is None else f"line {repeat.line}: "
            first = "" if repeat.first is None else f" (first set on line {repeat.first})"
            self.warnings.append(
                f"{where}duplicate key {_show((*path, repeat.key))}{first}; the last value wins"
            )

    def _key(self, key: object, path: tuple[str, ...]) -> str:
        if not isinstance(key, str):
            shown = _show((*path, str(key)))
            raise InputError(
                f"{self.source}: key {shown} is {_type_name(key)}, not text",
                hint="quote the key: YAML reads unquoted true, false, null and ~ as other types",
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
            return str(value)  # a `_Number` as plain text
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
        self._count_items(value, path)
        try:
            return _json_text(value)
        except (TypeError, ValueError):
            raise InputError(
                f"{self.source}: the list at key {_show(path)} holds something that is not "
                "plain data",
                hint="use strings, numbers, booleans, null, lists and objects with text keys",
            ) from None

    def _count_items(self, value: object, path: tuple[str, ...]) -> None:
        """Walk a list before serialising it, so that aliases cannot make it explode."""
        self._count(len(path))
        if isinstance(value, list | tuple):
            for index, item in enumerate(value):
                self._count_items(item, (*path, str(index)))
        elif isinstance(value, dict):
            self._warn_repeats(value, path)
            for key, item in value.items():
                self._count_items(item, (*path, str(key)))

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


def _json_text(value: object) -> str:
    """Compact JSON of ``value``, numbers as the document writes them (``[1.10]``) when JSON
    can write them so, else as strings (``["0x1F"]``); dates in ISO 8601. Raise ``TypeError``
    for what is not plain data."""
    if isinstance(value, _Number):
        return str(value) if _JSON_NUMBER.fullmatch(value) else json.dumps(str(value))
    if isinstance(value, list | tuple):
        return f"[{','.join(map(_json_text, value))}]"
    if isinstance(value, dict):
        items = (f"{_json_key(key)}:{_json_text(item)}" for key, item in value.items())
        return f"{{{','.join(items)}}}"
    if isinstance(value, dt.date):  # datetime is a date too
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False)


def _json_key(key: object) -> str:
    # As json.dumps writes keys: 1, true and null become the strings "1", "true" and "null".
    return json.dumps(str(key) if isinstance(key, str) else json.dumps(key), ensure_ascii=False)
