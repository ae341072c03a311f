"""`template apply` and `template detach` for one service or several at once, all or nothing:
every service is checked (known, no reference cycle, uses the template to detach) before
envkeep.toml changes, and it is written once, so one service's refusal leaves every service as
it was. A template is a setting of envkeep.toml, not a stored value: no environment changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import NotFoundError, UsageError
from envkeep.core.files import write_atomic
from envkeep.core.projectfile_edits import with_service_setting

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.template_gaps import TemplateGap


@dataclass(frozen=True)
class Applied:
    """The templates ``service`` uses after `apply_template`, whether this apply changed them,
    and where it now lacks a name the template requires (`template_gaps`: a warning, one per
    environment)."""

    service: str
    templates: tuple[str, ...]
    changed: bool = True
    gaps: tuple[TemplateGap, ...] = ()


@dataclass(frozen=True)
class Detached:
    """The templates ``service`` uses after `detach_template`."""

    service: str
    templates: tuple[str, ...]


def every_service(ctx: ClientContext) -> list[str]:
    """The services envkeep.toml declares (``--all``); UsageError when it declares none."""
    names = [s.name for s in ctx.project_file.services]
    if not names:
        raise UsageError(
            "envkeep.toml declares no service; nothing was changed",
            hint="add one first: envkeep service add NAME",
        )
    return names


def apply_template(ctx: ClientContext, name: str, services: Sequence[str]) -> list[Applied]:
    """Make each of ``services`` inherit a template (its lowest layer); say which templates
    each uses now, and which names the template requires that it lacks, in each environment.
    Refused, nothing changed, when it would make a reference cycle for any (`config_cycles`)."""
    from envkeep.client.config_cycles import refuse_template_cycles
    from envkeep.client.reading import team_layers_everywhere
    from envkeep.client.schemas import get_template
    from envkeep.client.template_gaps import required_names, template_gaps

    template = get_template(ctx, name)
    used = _templates_of(ctx, services)
    adding = [s for s in used if name not in used[s]]
    refers = any("${" in value for value in template.values.values())
    # Read before envkeep.toml changes, and only when there is something to check.
    wanted = adding and (refers or required_names(template))
    everywhere = team_layers_everywhere(ctx) if wanted else []
    refuse_template_cycles(everywhere, template, adding)  # together: a cycle between two
    found = [
        Applied(s, (*used[s], name), True, tuple(template_gaps(template, s, everywhere)))
        if s in adding
        else Applied(s, used[s], changed=False)
        for s in used
    ]
    _write_templates(ctx, {a.service: a.templates for a in found if a.changed})
    return found


def detach_template(ctx: ClientContext, name: str, services: Sequence[str]) -> list[Detached]:
    """Stop each of ``services`` inheriting a template (the template file stays, and so do
    values stored in their scopes); return the templates each has left. Refused, nothing
    changed, when one of them does not use it."""
    used = _templates_of(ctx, services)
    for service, templates in used.items():
        if name not in templates:
            uses = ", ".join(templates)
            raise NotFoundError(
                f"service '{service}' does not use template '{name}'; nothing was changed",
                hint=f"it uses: {uses}" if uses else "it inherits no template: nothing to detach",
            )
    found = [Detached(s, tuple(t for t in used[s] if t != name)) for s in used]
    _write_templates(ctx, {d.service: d.templates for d in found})
    return found


def services_using(ctx: ClientContext, name: str) -> list[str]:
    """The services of envkeep.toml that use template ``name`` (`detach --all`); NotFoundError
    when none does."""
    using = [s.name for s in ctx.project_file.services if name in s.templates]
    if not using:
        raise NotFoundError(
            f"no service uses template '{name}'; nothing was changed",
            hint="see which templates each uses in envkeep.toml (templates = [...])",
        )
    return using


def _templates_of(ctx: ClientContext, services: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The templates each of ``services`` uses (in their order, each once); ServiceNotFound
    for one envkeep.toml lacks, before anything is read or written."""
    from envkeep.client.service_entries import not_in_project_file

    project = ctx.project_file
    found: dict[str, tuple[str, ...]] = {}
    for service in dict.fromkeys(services):
        entry = project.service(service)
        if entry is None:
            raise not_in_project_file(service, [s.name for s in project.services])
        found[service] = entry.templates
    return found


def _write_templates(ctx: ClientContext, templates: Mapping[str, tuple[str, ...]]) -> None:
    """Set each service's ``templates`` in envkeep.toml, in one write of its text."""
    if not templates:
        return
    path = ctx.project_file.path
    text = path.read_text(encoding="utf-8")
    for service, names in templates.items():
        text = with_service_setting(text, service, "templates", list(names))
    write_atomic(path, text.encode(), mode=0o644)
