"""What applying a template leaves a service lacking: the names the template requires with no
default of its own, which nothing the service sees gives, in each environment. `run` and
`export` of the service fail there until they are set, so `template apply` warns of them (the
template is applied all the same: the values usually come next), as `unset` and `service
remove` warn of what they break.

Each environment this caller can read is read once, as the whole team sees it (no personal
overrides; `reading.team_layers_everywhere`, which `template apply`'s cycle check shares); one
it cannot read is skipped, the warning being a courtesy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import EnvkeepError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.resolution import ProjectLayers
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


def template_gaps(
    template: Template, service: str, everywhere: Sequence[tuple[str, ProjectLayers]]
) -> list[TemplateGap]:
    """For each environment of ``everywhere`` (`reading.team_layers_everywhere`), the names
    ``template`` requires that ``service`` would lack with it applied (nothing it sees gives
    them)."""
    required = required_names(template)
    gaps = []
    for env, layers in everywhere if required else ():
        try:
            seen = layers.merged(service)
        except EnvkeepError:  # a broken schema: nothing to say
            continue
        if seen is None:
            continue
        lacking = tuple(name for name in required if name not in seen)
        if lacking:
            gaps.append(TemplateGap(template.name, service, env, lacking))
    return gaps
