"""Rendering resolved values for other tools: dotenv, JSON, POSIX shell."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from envkeep.core.dotenv import render_dotenv
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def to_dotenv(values: Mapping[str, str]) -> str:
    """A .env file (envkeep's own dotenv renderer: it parses back to the same values)."""
    return render_dotenv(values)


def to_json(values: Mapping[str, str]) -> str:
    """A flat JSON object, keys sorted."""
    return json.dumps(dict(values), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def to_shell(values: Mapping[str, str]) -> str:
    """``export NAME='value'`` lines for ``eval``; names a shell cannot hold are refused."""
    bad = [name for name in values if not _SHELL_NAME.fullmatch(name)]
    if bad:
        raise UsageError(
            f"'{bad[0]}' cannot be a shell variable name",
            hint="use --format dotenv or json for names with '.' or '-'",
        )
    return "".join(f"export {k}={_shell_quote(v)}\n" for k, v in values.items())


EXPORTERS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "dotenv": to_dotenv,
    "json": to_json,
    "shell": to_shell,
}


def export(values: Mapping[str, str], fmt: str) -> str:
    """Render ``values`` in format ``fmt``; an unknown format names the known ones."""
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise UsageError(
            f"unknown export format '{fmt}'", hint=f"use one of: {', '.join(EXPORTERS)}"
        )
    return exporter(values)
