"""`run --file` and `encrypt` read a .env file only: a YAML or JSON file given to them (the
file `sops exec-env` runs with) is said to be one, with how to use its values instead."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv
from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from envkeep.client.file_source import FileSource
    from envkeep.core.dotenv import ParsedDotenv

__all__ = ["parse_env_file"]

_HINTS = {
    "run": "import its values, then run with them: envkeep import {file} --env ENV, then"
    " envkeep run --env ENV -- COMMAND",
    "encrypt": "import it, which keeps its values encrypted: envkeep import {file} --env ENV"
    " (or write it as NAME=value lines)",
}


def parse_env_file(text: str, source: FileSource, *, command: str, as_stored: bool) -> ParsedDotenv:
    """``parse_dotenv`` of the file ``source`` read by ``command`` (run, encrypt); a file named
    ``.json``, ``.yaml`` or ``.yml`` that is no dotenv is refused as that format, not by the
    dotenv parser's "expected '='" on its first line."""
    try:
        return parse_dotenv(text, source=str(source), as_stored=as_stored)
    except ParseError:
        from envkeep.client.file_source import StandardInput
        from envkeep.integrations.importers import detect_format

        fmt = "dotenv" if isinstance(source, StandardInput) else detect_format(source.name)
        if fmt == "dotenv":
            raise
        shown = "JSON" if fmt == "json" else "YAML"
        raise InputError(
            f"{source} is {shown}: {command} reads a .env file (NAME=value lines)",
            hint=_HINTS[command].format(file=shlex.quote(str(source))),
        ) from None
