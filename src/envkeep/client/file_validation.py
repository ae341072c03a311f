"""`run --file` checks the file's values against the schema of its service, as `run` from the
store checks the resolved values: `run -f .env` in services/api ran with PORT=abc (exit 0)
where `run` refused it (exit 3). ``--no-validate`` skips it for both. The service is the one
whose directory holds the file, else the one whose directory `run` runs in: `run -f
services/api/.env` from the project's root was checked against no schema."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.client.resolution import service_schema
from envkeep.client.validation import problems_in, problems_shown
from envkeep.core.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping
    from pathlib import Path

    from envkeep.client.context import ClientContext

__all__ = ["file_service", "refuse_invalid_file"]


def file_service(ctx: ClientContext, source: Path) -> str | None:
    """The service whose directory holds the file ``source``, else the one whose directory the
    command runs in; None outside a checkout or both."""
    if not ctx.has_checkout:
        return None
    held_by = ctx.project_file.service_at((ctx.cwd / source).parent)
    return held_by if held_by is not None else ctx.directory_service


def refuse_invalid_file(
    ctx: ClientContext,
    service: str | None,
    values: Mapping[str, str],
    source: Path,
    inherited: Mapping[str, str],
    *,
    defaulted: Collection[str] = (),
) -> None:
    """Raise ValidationFailed (exit 3) when the values the command would get from the file
    ``source`` break the schema of ``service`` (`file_service`'s): a wrong type or range,
    a required name missing (one with a @default is not). The file's values are added to the
    ``inherited`` environment, so a declared name the file leaves out is checked as the
    command gets it (a file of secrets alone, the rest exported by CI, runs as before). Names
    the schema does not declare are the file's business. With no service, or one without a
    schema, nothing is checked. ``defaulted``: the names of ``values`` that are the schema's
    @default (`file_defaults`), checked as `run` checks them: one expanded from ``${NAME}``
    may break its type."""
    from envkeep.core.validate import validate_values

    schema = None if service is None else service_schema(ctx, service)
    if schema is None:
        return
    declared = {field.name for field in schema.fields}
    seen = {name: value for name, value in inherited.items() if name in declared}
    findings = validate_values({**seen, **values}, schema, service=service, own=())
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        where = str(source)
        if any(finding.name in seen and finding.name not in values for finding in errors):
            where += " and the environment"  # a declared name the file left to it
        if any(finding.name in defaulted for finding in errors):
            where += f" and {service}'s schema @default"
        raise ValidationFailed(
            f"{problems_in(errors)} in {where}: {problems_shown(errors)}",
            hint=f"correct them in {shlex.quote(str(source))}, or skip with --no-validate",
        )
