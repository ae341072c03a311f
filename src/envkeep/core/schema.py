"""Schemas: what a service needs, from an annotated ``.env.example`` or an envkeep.toml table.

In a ``.env.example`` each ``NAME=example`` entry is a field. The comment lines directly above
it (no blank line between) hold its annotations, the words that start with ``@``, and its
description, the other words::

    # The HTTP port the API listens on.
    # @required @type=port
    PORT=8080

Annotations: ``@required``, ``@secret``, ``@type=T`` (one of ``TYPES``; ``enum(a,b,…)`` lists
the choices), ``@min=N`` and ``@max=N`` (the number for int, float and port, seconds for a
duration, the length otherwise), ``@pattern=REGEX`` (a full match) and ``@default=VALUE``. An
annotation value runs to the next whitespace; one with spaces is written as a JSON string,
``@default="two words"``. Parsing is strict: an unknown, repeated or malformed annotation, or
one that no variable follows directly, is a ``ParseError`` naming its line. The entry's own
value is its ``example``, never a default. Messages name variables and lines, never values.
"""

from __future__ import annotations

from envkeep.core.envexample import parse_env_example
from envkeep.core.fieldspec import ANNOTATIONS, TABLE_KEYS, TYPES, FieldSpec, Schema
from envkeep.core.schemarender import infer_type, render_env_example
from envkeep.core.schematable import schema_from_table

__all__ = [
    "ANNOTATIONS",
    "TABLE_KEYS",
    "TYPES",
    "FieldSpec",
    "Schema",
    "infer_type",
    "parse_env_example",
    "render_env_example",
    "schema_from_table",
]
