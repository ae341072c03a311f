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
import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from envkeep.core.dotenv import is_valid_name, parse_dotenv
from envkeep.core.errors import InputError, ParseError, UsageError
from envkeep.integrations._documents import DocObject, Number, load_json, load_yaml, too_deep
from envkeep.integrations.compose_dollars import compose_dollar_warnings, refuse_compose_forms
from envkeep.integrations.dotenvx_ciphertext import refuse_dotenvx_ciphertext
from envkeep.integrations.foreign_documents import refuse_foreign_document
from envkeep.integrations.sops_ciphertext import refuse_sops_document, refuse_sops_dotenv

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.core.file_source import FileSource


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
# What JSON writes as a number, which a list's JSON text may keep as it is.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")

_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    Number: "a number",
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


def parse_import(
    data: bytes, *, fmt: str, source: FileSource | str, literal: bool = False
) -> ImportResult:
    """Parse ``data`` (the bytes of ``source``: a file, its name, or standard input) as
    ``fmt``, one of ``FORMATS``. ``literal``: every value is text as the file gives it, a
    ``${`` in it no reference (a file `export` wrote holds resolved values: a literal ``${``
    there would otherwise come back as one).

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
    text = _decode(data, str(source)).removeprefix("\ufeff")
    result = _parsed(text, fmt, source, literal=literal)
    if not literal:
        return result
    values = {name: value.replace("${", "$${") for name, value in result.values.items()}
    return ImportResult(values=values, warnings=result.warnings)


def _parsed(text: str, fmt: str, source: FileSource | str, *, literal: bool) -> ImportResult:
    name = str(source)  # the hints of an encrypted file's refusal take source itself
    if fmt == "dotenv":  # literal: each value as a program reading the file gets it
        parsed = parse_dotenv(text, source=name, as_stored=not literal)
        refuse_dotenvx_ciphertext(parsed.values, source)
        refuse_sops_dotenv(parsed.values, source)
        if not literal:
            refuse_compose_forms(text, source=name)
        dollars = () if literal else compose_dollar_warnings(text, source=name)
        return ImportResult(values=parsed.values, warnings=parsed.warnings + dollars)
    document = load_json(text, name) if fmt == "json" else load_yaml(text, name)
    if not isinstance(document, dict):
        raise InputError(
            f"{name}: expected an object of NAME: value at the top level, "
            f"got {_type_name(document)}",
        )
    refuse_sops_document(document, source, fmt)
    refuse_foreign_document(document, name)
    flattener = _Flattener(name)
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
        for repeat in node.repeats if isinstance(node, DocObject) else ():
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
            return str(value)  # a `Number` as plain text
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
            raise too_deep(self.source)
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
    if isinstance(value, Number):
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
