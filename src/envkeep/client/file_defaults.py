"""`run --file` adds the schema's ``@default`` values of the service it runs for, as `run` from
the store adds them: `run -f .env` in services/api ran without LOG_LEVEL where `run --env dev`
gave the command the schema's ``@default=info``. A default is the lowest layer: the file's value
wins, and so does one the environment `run` starts with gives (a CI job's export), which the
file's schema check counts as what the command gets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.resolution import schema_defaults

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from envkeep.client.context import ClientContext

__all__ = ["with_schema_defaults"]


def with_schema_defaults(
    ctx: ClientContext,
    service: str | None,
    values: Mapping[str, str],
    inherited: Mapping[str, str],
    source: Path,
) -> dict[str, str]:
    """``values`` (the file's, expanded) with the ``@default`` of each name ``service``'s schema
    declares that neither they nor ``inherited`` set; a default's ``${NAME}`` is expanded as
    `run` expands it, from the file's values, else the environment's."""
    defaults = {} if service is None else schema_defaults(ctx.project_file, service)
    missing = {n: v for n, v in defaults.items() if n not in inherited and n not in values}
    if not missing:
        return dict(values)
    from envkeep.core.errors import ReferenceProblem
    from envkeep.core.resolve import Layer, resolve

    def literal(given: Mapping[str, str]) -> dict[str, str]:  # expanded: their '${' is text
        return {name: value.replace("${", "$${") for name, value in given.items()}

    outside = {name: v for name, v in inherited.items() if not name.startswith("ENVKEEP_")}
    layers = [Layer("environment", literal(outside)), Layer("schema default", missing)]
    resolution = resolve([*layers, Layer(str(source), literal(values))])
    problem = next((name for name in missing if name in resolution.errors), None)
    if problem is not None:
        raise ReferenceProblem(
            f"{service}'s schema @default of {problem}: {resolution.errors[problem]}",
            hint=f"set {problem} in {source} or in the environment run starts with",
        )
    return {**{name: resolution.values[name] for name in missing}, **values}
