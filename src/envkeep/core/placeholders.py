"""A value still holding its ``.env.example``'s placeholder: a ``.env`` made by copying the
example (``cp .env.example .env``) and imported keeps ``ADMIN_PASSWORD=changeme`` or
``API_KEY=<your-api-key>``, which every check passes (an optional string accepts any text).
Found only where the value is the example itself *and* reads as a placeholder, so that an
example that is a fine value (``REDIS_HOST=localhost``) is never named."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.core.fieldspec import Schema

__all__ = ["kept_placeholders", "looks_like_placeholder"]

_PLACEHOLDER_RE = re.compile(
    r"<[^<>]+>"  # <your-api-key>
    r"|.*(?<![a-z])change[-_ ]?(?:me|this|it)(?![a-z]).*"  # changeme, CHANGE_ME, change-this
    r"|your[-_ ].+|.+[-_ ]here"  # your-openai-key-here, your_token, put-it-here
    r"|.*x{6,}.*"  # sk_test_xxxxxxxxxxxx
    r"|todo|tbd|fixme|placeholder|replace[-_ ]?me|\.\.\.|…",
    re.IGNORECASE,
)


def looks_like_placeholder(value: str) -> bool:
    """Whether ``value`` reads as a placeholder for a value to fill in, not a value."""
    return _PLACEHOLDER_RE.fullmatch(value.strip()) is not None


def kept_placeholders(schema: Schema, values: Mapping[str, str]) -> list[str]:
    """The names, in schema order, whose value is their example and that example reads as a
    placeholder."""
    return [
        spec.name
        for spec in schema.fields
        if spec.example is not None
        and values.get(spec.name) == spec.example
        and looks_like_placeholder(spec.example)
    ]
