"""Loading a JSON or YAML document for import, so that nothing in it changes: numbers keep
the text the document writes (`Number`), each object notes the keys it sets twice
(`DocObject.repeats`), and errors name the line, never the text (a value may be a secret).
``yaml`` is imported only when a YAML document is read."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import yaml

# PyYAML's scanner quotes the character it stopped at, which may be part of a secret.
_SCANNED_CHAR = re.compile(r"""\b(character|found) (?:'[^']*'|"[^"]*")""")
_TAG = re.compile(r"constructor for the tag '([^']*)'")
_STANDARD_TAG = "tag:yaml.org,2002:"
# The tag a plain YAML number is read with, so that it keeps its text.
_NUMBER_TAG = "tag:envkeep,2024:number"


class Number(str):
    """A number as the document writes it (``1.10``, ``0123``, ``1e400``): never converted."""

    __slots__ = ()


@dataclass(frozen=True)
class Repeat:
    """A key set again in the same object; the lines are YAML's (JSON's decoder has none)."""

    key: str
    line: int | None = None
    first: int | None = None


class DocObject(dict[Any, Any]):
    """An object of the document, with the keys it sets more than once."""

    repeats: tuple[Repeat, ...] = ()


def load_json(text: str, source: str) -> object:
    try:
        return json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_int=Number,
            parse_float=Number,
            parse_constant=Number,  # NaN, Infinity
        )
    except json.JSONDecodeError as exc:
        # exc.msg names what the parser expected, never text from the document.
        raise ParseError(f"invalid JSON: {exc.msg}", line=exc.lineno, source=source) from None
    except RecursionError:
        raise too_deep(source) from None


def _json_object(pairs: list[tuple[str, Any]]) -> DocObject:
    found = DocObject(pairs)
    if len(found) < len(pairs):
        found.repeats = _repeats((key, key, None) for key, _ in pairs)
    return found


def _repeats(keys: Iterable[tuple[object, str, int | None]]) -> tuple[Repeat, ...]:
    """The keys, each ``(identity, text, line)``, that repeat an identity seen before."""
    first: dict[object, int | None] = {}
    repeats: list[Repeat] = []
    for identity, text, line in keys:
        if identity in first:
            repeats.append(Repeat(text, line, first[identity]))
        else:
            first[identity] = line
    return tuple(repeats)


def load_yaml(text: str, source: str) -> object:
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
        raise too_deep(source) from None
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
    and ``true``/``false`` are read as such, a number as its `Number` text, anything else (a
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

    def number(loader: TextLoader, node: yaml.ScalarNode) -> Number:
        return Number(node.value)

    def mapping(loader: TextLoader, node: yaml.MappingNode) -> Iterator[DocObject]:
        found = DocObject()
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


def too_deep(source: str) -> InputError:
    return InputError(f"{source}: the document is nested too deeply to be configuration")
