"""What `init` says of the schemas of the services it adds: `service add` parses a service's
``.env.example`` before adding it, refusing one that does not parse and warning of what it may
not mean (`core.plain_required`); `init --yes` added every service it found without a look, so
a file that does not parse surfaced only at the first `validate` or `run`, which failed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envkeep.client.resolution import parse_schema_file
from envkeep.core.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.core.projectfile import ServiceEntry


def schema_warnings(root: Path, services: Sequence[ServiceEntry]) -> list[str]:
    """A warning for each schema file of ``services`` that cannot be read, and for each note
    of those that can, files named from ``root`` as envkeep.toml names them."""
    prefix = f"{root}{os.sep}"
    lines: list[str] = []
    for service in services:
        if service.schema is None:
            continue
        try:
            schema = parse_schema_file(root / service.schema)
        except InputError as error:
            lines.append(
                f"warning: service '{service.name}' was added, but its schema cannot be read"
                f" ({str(error).removeprefix(prefix)}); validate and run of {service.name}"
                f" fail until {service.schema} is fixed"
            )
            continue
        lines.extend(f"warning: {note.text.removeprefix(prefix)}" for note in schema.notes)
    return lines
