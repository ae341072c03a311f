"""Saying what a schema file says that may not mean what it reads as (`core.plain_required`):
once per command, however many times the command reads the schema; and, where values are
checked, a value that is still the file's placeholder example (`core.placeholders`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.placeholders import kept_placeholders
from envkeep.core.projectfile import FILENAME

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.validation import Checked
    from envkeep.core.schema import Schema


@dataclass(frozen=True)
class SchemaWarning:
    """One warning `validate` prints above its counts, for `--json` to give as well: a note of
    a schema file (``rule`` one of `NOTE_RULES`) or a value still its example's placeholder
    (``placeholder``): ``said`` as printed; ``file`` and ``line`` are where in the schema file
    it is about, as `--json` names them."""

    service: str
    name: str
    rule: str
    said: str  # as printed: "warning: …"
    file: str
    line: int | None
    layer: str | None = None  # where a placeholder's value came from, as `explain` names it
    value: str | None = None  # a placeholder's value (shown only with --reveal)

    @property
    def message(self) -> str:
        return self.said.removeprefix("warning: ")


def warn_of_notes(ctx: ClientContext, schema: Schema) -> tuple[str, ...]:
    """Warn once per command of each note of ``schema``, its file named from the project's
    root, as envkeep.toml names it; return the warning lines (said now or before), so that a
    count of warnings can include them."""
    lines = tuple(_note_line(ctx, note.text) for note in schema.notes)
    for line in lines:
        ctx.warn_once(line)
    return lines


def _note_line(ctx: ClientContext, text: str) -> str:
    return f"warning: {_from_root(ctx, text)}"


def warn_of_checked(
    ctx: ClientContext, checked: Sequence[Checked], env: str
) -> list[SchemaWarning]:
    """Warn of the notes of each schema checked, then of each value that is still its
    schema's placeholder example; return the distinct warnings, in the order said (a schema
    two services use is told of once, as the first's)."""
    found: dict[str, SchemaWarning] = {}
    for warning in [*_notes_of(ctx, checked), *_placeholders(ctx, checked, env)]:
        ctx.warn_once(warning.said)
        found.setdefault(warning.said, warning)
    return list(found.values())


def _notes_of(ctx: ClientContext, checked: Sequence[Checked]) -> list[SchemaWarning]:
    return [
        SchemaWarning(
            service,
            note.name,
            note.rule,
            _note_line(ctx, note.text),
            _from_root(ctx, note.source) if note.source else source,
            note.line,
        )
        for service, schema, source in _schemas(ctx, checked)
        for note in schema.notes
    ]


def _placeholders(ctx: ClientContext, checked: Sequence[Checked], env: str) -> list[SchemaWarning]:
    found = []
    values = {c.service: c.resolution for c in checked}
    for service, schema, source in _schemas(ctx, checked):
        resolution = values[service]
        for name in kept_placeholders(schema, resolution.values):
            # Names, environments and services are shell-safe words: no quoting to read past.
            command = f"envkeep set {name}=… --env {env} --service {service}"
            said = (
                f"warning: {service}.{name} is still the placeholder {source} gives as its"
                f" example, not a real value; set it: {command}"
            )
            spec = schema.field(name)
            found.append(
                SchemaWarning(
                    service,
                    name,
                    "placeholder",
                    said,
                    source,
                    None if spec is None else spec.example_line or spec.line,
                    resolution.winners.get(name),
                    resolution.values.get(name),
                )
            )
    return found


def _schemas(ctx: ClientContext, checked: Sequence[Checked]) -> list[tuple[str, Schema, str]]:
    """Each checked service with a schema: its name, the schema, and the schema's file as
    envkeep.toml names it."""
    found = []
    for check in checked:
        entry = ctx.project_file.service(check.service) if check.service else None
        if check.schema is not None and entry is not None:
            source = entry.schema or f"{FILENAME} [services.{entry.name}.schema]"
            found.append((entry.name, check.schema, source))
    return found


def _from_root(ctx: ClientContext, path: str) -> str:
    return path.removeprefix(f"{ctx.project_file.root}{os.sep}")
