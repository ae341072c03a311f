"""Saying what a schema file says that may not mean what it reads as (`core.plain_required`):
once per command, however many times the command reads the schema."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.core.schema import Schema


def warn_of_notes(ctx: ClientContext, schema: Schema) -> None:
    """Warn once per command of each note of ``schema``, its file named from the project's
    root, as envkeep.toml names it."""
    root = f"{ctx.project_file.root}{os.sep}"
    for note in schema.notes:
        ctx.warn_once(f"warning: {note.removeprefix(root)}")
