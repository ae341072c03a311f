"""A value whose references do not resolve, as a user is told of it: the resolver's error with
the close name or service the reference most likely mistypes ("did you mean", one matcher:
`core.near_names` by way of `name_typos` and `stray_references`), in the same words for
`validate`, a write's warning, `get`, `explain`, `export`, `run`, `activate-all` and `env
diff`; and the error a command raises for one, whose hint fits the problem (a cycle is ended,
not set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.name_typos import did_you_mean_name
from envkeep.client.stray_references import (
    NO_SERVICE,
    other_environment,
    services_meant,
    stray_references,
)
from envkeep.core.errors import ReferenceProblem

if TYPE_CHECKING:
    from envkeep.client.resolution import ProjectLayers
    from envkeep.core.resolve import Resolution

CYCLE = "reference cycle: "  # how the resolver starts a cycle's error


def worded(layers: ProjectLayers, resolution: Resolution, name: str) -> str:
    """The resolver's error for ``name`` (one of ``resolution.errors``; ``layers``: what was
    resolved), with the service or the name its reference most likely mistypes: never the
    name that refers."""
    error = resolution.errors[name]
    seen = resolution.values
    if NO_SERVICE in error:
        strays = stray_references(resolution.raw[name], layers.by_service, seen)
        environments = layers.project.declared_environments
        return error + services_meant(strays) + other_environment(strays, environments)
    return error + did_you_mean_name(error, seen.keys() - {name}, layers.merged)


def worded_errors(layers: ProjectLayers, resolution: Resolution) -> dict[str, str]:
    """Every error of ``resolution``, `worded`, by name."""
    return {name: worded(layers, resolution, name) for name in resolution.errors}


def reference_problem(error: str) -> ReferenceProblem:
    """What a command that needs the value raises for its `worded` ``error`` (exit 3)."""
    if error.startswith(CYCLE):  # every name in it is set: setting one does not help
        hint = "end the cycle: give one of its names a value without a reference"
    else:
        hint = "fix the reference or set the name it refers to; write '$${' for a literal '${'"
    return ReferenceProblem(error, hint=hint)
