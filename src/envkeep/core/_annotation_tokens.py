"""The words of a ``.env.example`` comment line, as the schema reads them: an annotation
(``@key`` or ``@key=value``, a value with spaces written as a JSON string:
``@default="two words"``) or a word of the description. `envexample` reads annotations with
it, and `required_labels` asks whether a line is annotations only: one definition, so that a
line the schema reads as one annotation is never taken for words there."""

from __future__ import annotations

import re

TOKEN_RE = re.compile(
    r'@(?P<key>[^\s=]*)(?:=(?P<value>"(?:[^"\\]|\\.)*"(?=\s|$)|\S*))?|(?P<word>\S+)'
)


def annotations_only(body: str) -> bool:
    """Whether comment text ``body`` holds annotations and no word (an empty one: no)."""
    tokens = list(TOKEN_RE.finditer(body))
    return bool(tokens) and all(token["key"] is not None for token in tokens)
