"""Writing a schema as an annotated ``.env.example``, and guessing a first one's types."""

from __future__ import annotations

import json
import re
import textwrap
from typing import TYPE_CHECKING

from envkeep.core._fieldrules import Malformed, parse_choices, parse_type
from envkeep.core._section_breaks import reads_as_section_break
from envkeep.core.dotenv import parse_dotenv, render_dotenv
from envkeep.core.errors import InputError, ParseError
from envkeep.core.validate import format_number, matches_type

if TYPE_CHECKING:
    from envkeep.core.fieldspec import FieldSpec, Schema

__all__ = ["infer_type", "looks_secret", "render_env_example"]

# Words that, as a part of a variable's name (split at `_`), say its value is a secret.
_SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "PWD",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATE",
        "APIKEY",
    }
)
# Words that say so only as a name's last part: `STRIPE_API_KEY`, `BASIC_AUTH`, `GH_PAT` (a
# personal access token); not `AWS_ACCESS_KEY_ID`, `AUTH_URL` or `PAT_EXPIRY_DAYS`.
_SECRET_LAST_WORDS = frozenset({"KEY", "AUTH", "PAT"})

_BARE_VALUE_RE = re.compile(r'(?:[^\s"\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*)?')


def render_env_example(schema: Schema) -> str:
    """Write ``schema`` as an annotated ``.env.example`` that ``parse_env_example`` reads back.

    One block per field, separated by blank lines: the description, one line of annotations,
    ``NAME=example``. Raise ``InputError`` for a field the file format cannot express (an
    unknown type, bad enum choices, a description word starting with ``@``).
    """
    return "\n".join(_render_field(spec) for spec in schema.fields)


def _render_field(spec: FieldSpec) -> str:
    lines = [f"# {line}" for line in _description_lines(spec)]
    annotations = _annotations(spec)
    if annotations:
        lines.append("# " + " ".join(annotations))
    lines.append(_entry_line(spec.name, spec.example or ""))
    return "".join(f"{line}\n" for line in lines)


def _description_lines(spec: FieldSpec) -> list[str]:
    words = (spec.description or "").split()
    if any(word.startswith("@") or "\x00" in word for word in words):
        raise InputError(
            f"the description of {spec.name!r} has a word starting with '@' or a NUL character,"
            " which an .env.example cannot hold"
        )
    wrapped = textwrap.wrap(
        " ".join(words), width=96, break_long_words=False, break_on_hyphens=False
    )
    lines = _joined_past_breaks(wrapped)
    if any(reads_as_section_break(line) for line in lines):
        raise InputError(
            f"the description of {spec.name!r} would read as a section header ('## …',"
            " '--- … ---') or a commented-out NAME=…, which an .env.example does not read as a"
            " description"
        )
    return lines


def _joined_past_breaks(lines: list[str]) -> list[str]:
    """``lines`` with a line the wrap made read as a section break (one starting ``FOO=bar``,
    or ending ``===``) joined to its neighbour: where a line breaks is the renderer's choice,
    not the description's, and the parser reads the words back the same."""
    joined: list[str] = []
    for line in lines:
        if joined and (reads_as_section_break(line) or reads_as_section_break(joined[-1])):
            joined[-1] += f" {line}"
        else:
            joined.append(line)
    return joined


def _annotations(spec: FieldSpec) -> list[str]:
    annotations = ["@required"] if spec.required else []
    if spec.type != "string":
        annotations.append(f"@type={_type_text(spec)}")
    if spec.minimum is not None:
        annotations.append(f"@min={format_number(spec.minimum)}")
    if spec.maximum is not None:
        annotations.append(f"@max={format_number(spec.maximum)}")
    if spec.pattern is not None:
        annotations.append(f"@pattern={_quote(spec.pattern)}")
    if spec.secret:
        annotations.append("@secret")
    if spec.default is not None:
        annotations.append(f"@default={_quote(spec.default)}")
    return annotations


def _type_text(spec: FieldSpec) -> str:
    try:
        if spec.type == "enum":
            return f"enum({','.join(parse_choices(spec.choices))})"
        return parse_type(spec.type)[0]
    except Malformed as error:
        raise InputError(f"cannot write the type of {spec.name!r}: {error}") from None


def _quote(value: str) -> str:
    if _BARE_VALUE_RE.fullmatch(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _entry_line(name: str, value: str) -> str:
    """``NAME=value`` as written when the dotenv parser reads that back, else quoted."""
    plain = f"{name}={value}"
    try:
        if "\n" not in value and parse_dotenv(plain).values == {name: value}:
            return plain
    except ParseError:
        pass
    return render_dotenv({name: value}).rstrip("\n")


def infer_type(value: str) -> str:
    """Guess a type from a stored value, for a first schema (``envkeep schema init``).

    ``true``/``false`` → bool, ``42`` → int, ``1.5`` → float, ``https://…`` → url,
    ``a@b.co`` → email, ``30s`` → duration, an object or array → json, else string.
    """
    if value.lower() in ("true", "false"):
        return "bool"
    for type_name in ("int", "float", "url", "email", "duration"):
        if matches_type(type_name, value):
            return type_name
    if value.startswith(("{", "[")) and matches_type("json", value):
        return "json"
    return "string"


def looks_secret(name: str) -> bool:
    """Guess from a name alone whether its value is a secret, for a first schema's ``@secret``
    (and to say why a ConfigMap left a name out): ``DB_PASSWORD``, ``DB_PASS``, ``APIKEY``,
    ``GITHUB_TOKEN``, ``GH_PAT``, ``STRIPE_API_KEY``, ``BASIC_AUTH``, ``JWT_SECRET``; not
    ``AWS_ACCESS_KEY_ID`` (an id), ``AUTH_URL``, ``PASSPORT_COUNTRY`` or ``LOG_LEVEL``."""
    words = name.upper().split("_")
    return bool(_SECRET_WORDS.intersection(words)) or words[-1] in _SECRET_LAST_WORDS
