"""The text of envkeep.toml, as `envkeep.core.projectfile` writes and reads it beside
``tomllib``: how a string or key is written, the table a header line opens, and the line that
sets a key (which ``tomllib`` does not say)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

__all__ = ["HEADER", "header_key", "key_line", "toml_key", "toml_string"]

HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string."""
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    """``key`` as TOML writes it: bare when it may be, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def header_key(line: str) -> str | None:
    """The key of a table header line (``[a.b]`` → ``a.b``, spaces dropped), else None."""
    match = HEADER.match(line)
    return match.group(1).replace(" ", "") if match else None


def key_line(lines: Sequence[str], table: Collection[str], key: str) -> int | None:
    """The line (1-based) where ``key`` of a table is written: ``key = …`` (or ``key.sub = …``)
    in the table, else a ``[TABLE.key]`` header or one of its sub-tables'. ``table`` holds the
    table's header keys as `header_key` gives them (bare or quoted); empty, the top level.

    None when the key is written another way (in an inline table, or as a dotted key of a
    table above): the caller names the table instead.
    """
    spellings = [key, toml_string(key), f"'{key}'"]
    setting = re.compile(rf"^\s*(?:{'|'.join(map(re.escape, spellings))})\s*[=.]")
    owners = set(table) or {""}
    headers = {f"{owner}.{name}" if owner else name for owner in owners for name in spellings}
    current = ""
    for number, line in enumerate(lines, start=1):
        found = header_key(line)
        if found is None:
            if current in owners and setting.match(line):
                return number
            continue
        if found in headers or any(found.startswith(f"{header}.") for header in headers):
            return number
        current = found
    return None
