"""Saying what a schema file says that may not mean what it reads as (`core.plain_required`):
once per command, however many times the command reads the schema; and, where values are
checked, a value that is still the file's placeholder example (`core.placeholders`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envkeep.core.placeholders import kept_placeholders
from envkeep.core.projectfile import FILENAME

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.validation import Checked
    from envkeep.core.schema import Schema


def warn_of_notes(ctx: ClientContext, schema: Schema) -> tuple[str, ...]:
    """Warn once per command of each note of ``schema``, its file named from the project's
    root, as envkeep.toml names it; return the warning lines (said now or before), so that a
    count of warnings can include them."""
    root = f"{ctx.project_file.root}{os.sep}"
    lines = tuple(f"warning: {note.text.removeprefix(root)}" for note in schema.notes)
    for line in lines:
        ctx.warn_once(line)
    return lines


def warn_of_checked(ctx: ClientContext, checked: Sequence[Checked], env: str) -> int:
    """Warn of the notes of each schema checked, then of each value that is still its
    schema's placeholder example; return how many distinct warnings that is."""
    said = {line for c in checked if c.schema is not None for line in warn_of_notes(ctx, c.schema)}
    for line in _placeholder_lines(ctx, checked, env):
        ctx.warn_once(line)
        said.add(line)
    return len(said)


def _placeholder_lines(ctx: ClientContext, checked: Sequence[Checked], env: str) -> list[str]:
    lines = []
    for check in checked:
        entry = ctx.project_file.service(check.service) if check.service else None
        if check.schema is None or entry is None:
            continue
        source = entry.schema or f"{FILENAME} [services.{entry.name}.schema]"
        for name in kept_placeholders(check.schema, check.resolution.values):
            # Names, environments and services are shell-safe words: no quoting to read past.
            command = f"envkeep set {name}=… --env {env} --service {entry.name}"
            lines.append(
                f"warning: {entry.name}.{name} is still the placeholder {source} gives as its"
                f" example, not a real value; set it: {command}"
            )
    return lines
