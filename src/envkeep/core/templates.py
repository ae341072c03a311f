"""Templates: named presets of variables with defaults, kept as annotated ``.env`` files.

A template file uses the annotations of a ``.env.example`` (see ``core.schema``), but an
entry's value is its *default*, which may hold ``${NAME}`` references (expanded later, by
resolution)::

    # @required
    DB_HOST=localhost
    # @secret @required
    DB_PASSWORD=
    DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/${DB_NAME}

An empty value means "no default" (``DB_PASSWORD`` above) unless ``@default=`` says the
default is the empty string. Templates live in ``.envkeep/templates/`` beside the project and
in a per-user directory; the template's name is the file's stem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envkeep.core._fieldrules import default_problem
from envkeep.core.errors import InputError, ParseError, UsageError
from envkeep.core.schema import Schema, parse_env_example, render_env_example

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.core.schema import FieldSpec

__all__ = [
    "TEMPLATE_NAME",
    "Template",
    "load_templates",
    "parse_template",
    "render_template",
]

TEMPLATE_NAME = r"[a-z0-9][a-z0-9_-]{0,62}"

_TEMPLATE_NAME_RE = re.compile(TEMPLATE_NAME)
_NAME_RULE = (
    "a template name is 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit"
)


@dataclass(frozen=True)
class Template:
    """A named preset: default values (by name) and the schema of its variables.

    ``values`` holds only the variables that have a default; every variable, with or without
    one, is in ``schema``, whose fields carry the same ``default`` and no ``example``.
    """

    name: str
    values: dict[str, str]
    schema: Schema
    source: str | None = None


def parse_template(text: str, *, name: str, source: str | None = None) -> Template:
    """Parse the text of a template file; raise ``ParseError`` (with the line) if malformed.

    Raise ``UsageError`` if ``name`` is not a valid template name (``TEMPLATE_NAME``).
    """
    if _TEMPLATE_NAME_RE.fullmatch(name) is None:
        raise UsageError(f"invalid template name {name[:40]!r}: {_NAME_RULE}")
    parsed = parse_env_example(text, source=source)
    _refuse_repeated(parsed, source)
    fields = tuple(_with_default(spec, source) for spec in parsed.fields)
    values = {spec.name: spec.default for spec in fields if spec.default is not None}
    return Template(name=name, values=values, schema=Schema(fields, source), source=source)


def _refuse_repeated(parsed: Schema, source: str | None) -> None:
    """Refuse a name the template declares twice. A .env.example may (`repeated_names`: one
    variable and a warning), but a template's value is the default every service using it
    gets, and a template keeps no warnings to show: the later value won without a word."""
    for note in parsed.notes:
        if note.rule == "duplicate":
            raise ParseError(
                f"{note.name!r} is declared twice in the template",
                line=note.line,
                source=source,
                hint=f"keep one {note.name}=… (its value is the default services get)",
            )


def _with_default(spec: FieldSpec, source: str | None) -> FieldSpec:
    """Move a template entry's value (its default) from ``example`` to ``default``."""
    if spec.example is not None and spec.default is not None:
        raise ParseError(
            f"{spec.name!r} has both a value and @default",
            line=spec.line,
            source=source,
            hint="in a template the value is the default: drop @default, or empty the value",
        )
    if spec.default is not None:  # an @default, which parse_env_example has checked
        return replace(spec, example=None, example_line=None)
    return _checked(replace(spec, default=spec.example, example=None, example_line=None), source)


def _checked(spec: FieldSpec, source: str | None) -> FieldSpec:
    """``spec`` once its default, the entry's value, passes its own annotations (as an
    ``@default`` must: `envkeep.core._fieldrules.default_problem`)."""
    problem = default_problem(spec)
    if problem is not None:
        raise ParseError(
            f"the value of {spec.name!r}, its default, breaks its own rules ({problem})",
            line=spec.line,
            source=source,
            hint="in a template the value is the default: make it one the annotations accept "
            "(@type, @min/@max, @pattern), or empty it",
        )
    return spec


def render_template(template: Template) -> str:
    """Write ``template`` as a template file that ``parse_template`` reads back unchanged."""
    fields = tuple(
        _as_entry(spec, template.values.get(spec.name)) for spec in template.schema.fields
    )
    return render_env_example(Schema(fields))


def _as_entry(spec: FieldSpec, default: str | None) -> FieldSpec:
    """A default is written as the entry's value; only an empty one needs ``@default=``."""
    if default:
        return replace(spec, default=None, example=default)
    return replace(spec, default=default, example=None)


def load_templates(directories: Sequence[Path]) -> dict[str, Template]:
    """Load every ``*.env`` template in ``directories``, sorted by name.

    When two directories hold the same name the earlier directory wins (pass the project's
    directory before the user's). A missing directory is skipped; hidden files are ignored.
    A malformed file raises its ``ParseError``; an unreadable one or a file whose stem is not a
    valid template name raises ``InputError``.
    """
    found: dict[str, Template] = {}
    for directory in directories:
        if not directory.exists():
            continue
        if not directory.is_dir():
            raise InputError(f"{directory} is not a directory of templates")
        for path in sorted(directory.glob("*.env")):
            if path.name.startswith(".") or not path.is_file() or path.stem in found:
                continue
            found[path.stem] = _load_template(path)
    return dict(sorted(found.items()))


def _load_template(path: Path) -> Template:
    if _TEMPLATE_NAME_RE.fullmatch(path.stem) is None:
        raise InputError(
            f"{path}: invalid template file name: {_NAME_RULE}",
            hint="rename the file, e.g. postgres.env",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: a template file must be UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the template ({error.strerror})") from None
    return parse_template(text, name=path.stem, source=str(path))
