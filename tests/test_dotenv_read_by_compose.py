"""docker compose's `env_file:` reads the dotenv file `export` writes (the default format) as
stored, but where `misread_by` says it does not; `--format docker` is for `docker run
--env-file` (values raw), and its help says so.

No `docker compose` binary is here to run, so the file is read by ``read_by_compose``: compose's
dotenv parser (compose-go v2 ``dotenv/parser.go``) written out in Python, rule for rule:
single-quoted values literal; double-quoted ones end at the first ``"`` without a backslash
just before it, decode ``\\a \\b \\f \\n \\r \\t \\v \\" \\\\``, ``\\$`` (as ``$$``) and
octal ``\\0NNN``, then expand ``$VAR``; unquoted ones end at a newline or `` #`` and expand
``$VAR``; ``$$`` is one ``$``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings

from envkeep.core.dotenv import render_dotenv
from envkeep.core.dotenv_readers import misread_by
from tests.server import cli
from tests.test_dotenv_readers import TRICKY, double_quoted_texts, tricky_texts

if TYPE_CHECKING:
    from pathlib import Path

COMPOSE = "docker compose"
_ESCAPE = re.compile(r'\\(?:[abcfnrtv$"\\]|0\d{0,3})')
_DECODED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TEMPLATE = re.compile(
    r"\$(?:(\$)|([_a-z][_a-z0-9]*)|\{(?:([_a-z][_a-z0-9]*)(?::?[-+?][^}]*)?\}|()))", re.I
)
_SPACE = " \t\v\f\r\x85\xa0"


def _escape(match: re.Match[str]) -> str:
    """compose-go's expandEscapes for one escape (Go's UnquoteChar after `\\0` -> `\\`)."""
    body = match.group()[1:]
    if body == "$":
        return "$$"
    if body.startswith("0"):
        digits = body[1:]
        return chr(int(digits, 8)) if len(digits) == 3 else "\\" + digits
    if body == "c":
        return match.group()
    return _DECODED.get(body, body)


def _substitute(text: str) -> str:
    """compose's interpolation with no variable set: `$$` is `$`, a reference is empty."""

    def one(match: re.Match[str]) -> str:
        if match.group(4) is not None:
            raise ValueError("invalid interpolation format")
        return "$" if match.group(1) else ""

    return _TEMPLATE.sub(one, text)


def _value(src: str) -> tuple[str, str]:
    quote = src[:1]
    if quote not in ("'", '"'):
        line, _, rest = src.partition("\n")
        return _substitute(line.split(" #")[0].rstrip()), rest
    for i in range(1, len(src)):
        if src[i] == quote and src[i - 1] != "\\":
            value = src[1:i]
            if quote == '"':
                value = _substitute(_ESCAPE.sub(_escape, value))
            return value, src[i + 1 :]
    raise ValueError("unterminated quoted value")


def read_by_compose(text: str) -> dict[str, str]:
    """The variables compose's `env_file:` finds in dotenv ``text``."""
    found: dict[str, str] = {}
    src = text
    while src := src.lstrip():
        if src.startswith("#"):
            src = src.partition("\n")[2]
            continue
        src = re.sub(r"^export\s+", "", src)
        key = re.match(r"[^=:\n]*", src)
        assert key is not None
        value, src = _value(src[key.end() + 1 :].lstrip(_SPACE))
        found[key.group().strip(_SPACE)] = value
    return found


BRIEF = {
    "PASSWORD": "usr$pa#ss'\"dev",
    "SPACED": "a b",
    "PEM": "-----BEGIN-----\nMIIab+/=\n-----END-----",
    "NOT_A_REFERENCE": "${X}",
    "WINDOWS": "C:\\Users\\app",
}


def test_compose_reads_each_value_of_an_exported_dotenv_as_stored() -> None:
    values = BRIEF | {f"V_{name}": v for name, v in TRICKY.items() if COMPOSE not in misread_by(v)}

    assert read_by_compose(render_dotenv(values)) == values


def test_a_backslash_zero_is_escaped_so_that_compose_reads_no_octal() -> None:
    values = {"A": "it's \\012", "B": "it's C:\\0", "C": "'\\0123'"}

    text = render_dotenv(values)

    assert read_by_compose(text) == values
    assert all(COMPOSE not in misread_by(value) for value in values.values())


def test_a_double_quoted_trailing_backslash_is_said_to_be_misread_by_compose() -> None:
    value = "it's C:\\"

    with pytest.raises(ValueError, match="unterminated"):
        read_by_compose(render_dotenv({"V": value}))
    assert COMPOSE in misread_by(value)


@settings(max_examples=200, deadline=None)
@given(double_quoted_texts | tricky_texts)
def test_compose_misreads_exactly_the_values_said_to(value: str) -> None:
    try:
        found = read_by_compose(render_dotenv({"V": value})).get("V")
    except ValueError:
        found = None

    assert (COMPOSE in misread_by(value)) == (found != value), value


def test_export_format_help_says_docker_is_for_docker_run_and_compose_takes_dotenv(
    tmp_path: Path,
) -> None:
    done = cli(tmp_path / "home", tmp_path, "export", "--help")

    said = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stderr
    assert "docker: for `docker run --env-file` (values raw, one line each)" in said
    assert "for compose `env_file:` use dotenv" in said
