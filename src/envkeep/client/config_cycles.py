"""Reference cycles a change to envkeep.toml would leave a service with, found as `set` finds
the ones a value makes (`broken_references.new_cycles`: each place resolved before and after):

- `template apply`: a template's values are the service's lowest layer, and one with a ``${…}``
  can close a cycle with the values above it (a shared ``A=${B}`` under a template's
  ``B=${A}``). Refused, exit 3 and nothing changed, as `set` refuses a value that makes one:
  the service resolved before the command, and what ends the cycle is a value to set first.
- `service add`: a new service sees the shared scope (and its schema's defaults) as they are,
  and a cycle there that every other service ends with a value of its own is the new one's
  until it sets one. Warned of, the service added: the cycle is not the command's doing, and
  the value that ends it can only be set for a service that exists.

Each environment this caller can read is checked once (`reading.team_layers_everywhere`); one
it cannot read is not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, NoReturn

from envkeep.client.broken_references import new_cycles
from envkeep.client.reference_errors import CYCLE
from envkeep.client.resolution import schema_defaults
from envkeep.core.errors import ReferenceProblem
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.client.resolution import ProjectLayers
    from envkeep.core.projectfile import ServiceEntry
    from envkeep.core.templates import Template


@dataclass(frozen=True)
class NewCycle:
    """A reference cycle (``path``: ``A -> B -> A``) that ``places`` (services by name, and
    ``shared`` for the shared scope alone) would see in ``env``."""

    env: str
    path: str
    places: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return self.path.split(" -> ")[:-1]

    def describe(self, service: str) -> str:
        """The warning of a new ``service`` seeing it: where, what fails, how to end it."""
        sees = "sees" if len(self.places) == 1 else "see"
        owner, name = _owned(self.names[0], service)
        return (
            f"in {self.env}, {spoken_list(self.places)} {sees} a"
            f" reference cycle ({self.path}): run and export will fail there until one of"
            f" {spoken_list(self.names)} has a value without a reference there (envkeep set"
            f" {name}=VALUE --env {self.env} --service {owner})"
        )


def cycles_of_new_service(
    everywhere: Sequence[tuple[str, ProjectLayers]], entry: ServiceEntry
) -> list[NewCycle]:
    """The cycles that adding the service ``entry`` declares would make, in each environment
    of ``everywhere`` (read without it)."""
    return _cycles(everywhere, lambda layers: _with_service(layers, entry))


def refuse_template_cycles(
    everywhere: Sequence[tuple[str, ProjectLayers]], template: Template, services: Sequence[str]
) -> None:
    """Raise ReferenceProblem (exit 3) when applying ``template`` to ``services`` would make a
    reference cycle in an environment of ``everywhere``. Each service is checked with the
    template applied to those before it, as applies one after another would be: two services
    can close a cycle between them (``${svc2.B}`` in svc1's, ``${svc1.A}`` in svc2's) that
    neither makes alone. A template without a ``${…}`` adds names, never a reference, so it
    makes none."""
    if not any("${" in value for value in template.values.values()):
        return
    for service in services:
        applied = partial(_with_template, template=template, service=service)
        found = _cycles(everywhere, applied)
        if found:
            _refuse(found[0], template, service)
        everywhere = [(env, applied(layers)) for env, layers in everywhere]


def _refuse(first: NewCycle, template: Template, service: str) -> NoReturn:
    """The ReferenceProblem of applying ``template`` to ``service``, which closes ``first``."""
    given = next((name for name in first.names if name in template.values), first.names[0])
    owner, name = _owned(given, service)
    raise ReferenceProblem(
        f"applying template '{template.name}' to service '{service}' would close a reference"
        f" cycle in {first.env} ({first.path} in {', '.join(first.places)}), so"
        f" {spoken_list(first.names)} could never resolve there; nothing was changed",
        hint="end the cycle first: give one of its names a value without a reference, e.g."
        f" {owner}'s own: envkeep set {name}=VALUE --env {first.env} --service {owner};"
        " or change the template's value; then apply it again",
    )


def _owned(name: str, service: str) -> tuple[str, str]:
    """(the service, the bare name) a cycle's ``name`` is set as: ``api.A`` is api's ``A``
    (a ``${api.A}`` reference), a bare name ``service``'s own."""
    owner, dot, bare = name.partition(".")
    return (owner, bare) if dot else (service, name)


def _cycles(
    everywhere: Sequence[tuple[str, ProjectLayers]],
    change: Callable[[ProjectLayers], ProjectLayers],
) -> list[NewCycle]:
    return [
        NewCycle(env, reason.removeprefix(CYCLE), tuple(places))
        for env, before in everywhere
        for reason, places in new_cycles(before, change(before)).items()
    ]


def _with_template(layers: ProjectLayers, template: Template, service: str) -> ProjectLayers:
    """``layers`` with ``service`` using ``template`` too (its highest template)."""
    services = tuple(
        replace(entry, templates=(*entry.templates, template.name))
        if entry.name == service
        else entry
        for entry in layers.project.services
    )
    return replace(
        layers,
        project=replace(layers.project, services=services),
        templates={**layers.templates, template.name: template},
    )


def _with_service(layers: ProjectLayers, entry: ServiceEntry) -> ProjectLayers:
    """``layers`` with the service ``entry`` declares, holding no value of its own yet."""
    project = replace(layers.project, services=(*layers.project.services, entry))
    defaults_of = layers.defaults_of
    return replace(
        layers,
        project=project,
        by_service={**layers.by_service, entry.name: {}},
        defaults_of=lambda name: (
            schema_defaults(project, name) if name == entry.name else defaults_of(name)
        ),
    )
