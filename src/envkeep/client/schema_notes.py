"""Saying what a schema file says that may not mean what it reads as (`core.plain_required`):
once per command, however many times the command reads the schema."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.core.schema import Schema


def warn_of_notes(ctx: ClientContext, schema: Schema) -> tuple[str, ...]:
    """Warn once per command of each note of ``schema``, its file named from the project's
    root, as envkeep.toml names it; return the warning lines (said now or before), so that a
    count of warnings can include them."""
    root = f"{ctx.project_file.root}{os.sep}"
    lines = tuple(f"warning: {note.removeprefix(root)}" for note in schema.notes)
    for line in lines:
        ctx.warn_once(line)
    return lines
