"""What applying a template leaves a service lacking: the names the template requires with no
default of its own, which nothing the service sees gives, in each environment. `run` and
`export` of the service fail there until they are set, so `template apply` warns of them (the
template is applied all the same: the values usually come next), as `unset` and `service
remove` warn of what they break.

Each environment this caller can read is read once, as the whole team sees it (no personal
overrides); one it cannot read is skipped, the warning being a courtesy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.resolution import team_layers
from envkeep.core.errors import EnvkeepError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.core.templates import Template


@dataclass(frozen=True)
class TemplateGap:
    """The names ``template`` requires that ``service`` lacks in ``env``."""

    template: str
    service: str
    env: str
    names: tuple[str, ...]

    def describe(self) -> str:
        """The warning's text: where, what is missing, what fails, the command that fixes it."""
        assignments = " ".join(f"{name}=VALUE" for name in self.names)
        it = "it is" if len(self.names) == 1 else "they are"
        return (
            f"in {self.env}, {self.service} lacks {', '.join(self.names)}, which template"
            f" '{self.template}' requires: run and export will fail there until {it} set:"
            f" envkeep set {assignments} --env {self.env} --service {self.service}"
        )


def required_names(template: Template) -> tuple[str, ...]:
    """The names ``template`` requires and gives no default for."""
    return tuple(f.name for f in template.schema.fields if f.required and f.default is None)


def template_gaps(ctx: ClientContext, template: Template, service: str) -> list[TemplateGap]:
    """For each environment of the project this caller can read, the names ``template``
    requires that ``service`` would lack with it applied (nothing it sees gives them)."""
    from envkeep.client.reading import read_environment

    required = required_names(template)
    if not required:
        return []
    try:
        # Unlocked before the first request: a passphrase's key derivation between two
        # requests can outlast the server's keep-alive, and the next request then fails.
        ctx.identity  # noqa: B018 - unlocks it (a cached property)
        environments = ctx.backend.list_environments(ctx.project_file.project)
    except EnvkeepError:
        return []
    gaps = []
    for environment in environments:
        try:
            layers = team_layers(ctx, read_environment(ctx, environment.name))
            seen = layers.merged(service) if layers is not None else None
        except EnvkeepError:  # not readable to this caller, a broken schema: nothing to say
            continue
        if seen is None:
            continue
        lacking = tuple(name for name in required if name not in seen)
        if lacking:
            gaps.append(TemplateGap(template.name, service, environment.name, lacking))
    return gaps
