"""`envkeep template …`: named presets of variables, and the services that inherit them."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli._schema_fields import field_json, type_text
from envkeep.cli.options import (
    JsonOpt,
    RevealOpt,
    complete_service_name,
    complete_template,
    service_name,
)
from envkeep.cli.state import make_context
from envkeep.client import schemas, template_services
from envkeep.client.template_services import every_service
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

template_app = typer.Typer(help="Named presets of variables.", no_args_is_help=True)

TemplateArg = Annotated[
    str, typer.Argument(help="Template name.", autocompletion=complete_template)
]


@template_app.command("list")
def template_list(json_out: JsonOpt = False) -> None:
    """List the templates the project can use.

    Example: envkeep template list
    """
    found = schemas.list_templates(make_context())
    if json_out:
        output.print_json(
            [{"name": t.name, "source": t.source, "variables": len(t.schema.fields)} for t in found]
        )
        return
    rows = [(t.name, str(len(t.schema.fields)), t.source or "") for t in found]
    output.print_table(("TEMPLATE", "VARIABLES", "FILE"), rows, empty="no templates yet")


@template_app.command("show")
def template_show(
    name: TemplateArg,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Show a template's variables and defaults (secret defaults masked unless --reveal).

    Example: envkeep template show postgres
    """
    template = schemas.get_template(make_context(), name)
    if json_out:
        fields = [field_json(field, reveal=reveal) for field in template.schema.fields]
        output.print_json({"name": template.name, "source": template.source, "fields": fields})
        return
    rows = [
        (
            f.name,
            type_text(f),
            "yes" if f.required else "",
            output.mask(template.values.get(f.name), reveal=reveal or not f.secret, absent=""),
            "yes" if f.secret else "",
        )
        for f in template.schema.fields
    ]
    header = ("NAME", "TYPE", "REQUIRED", "DEFAULT", "SECRET")  # as `schema show` says it
    output.print_table(header, rows, empty="an empty template")


@template_app.command("create")
def template_create(
    name: Annotated[str, typer.Argument(help="Template name.")],
    source: Annotated[
        Path | None, typer.Option("--from", help="A .env file to start from.")
    ] = None,
    user: Annotated[bool, typer.Option("--user", help="In your own template directory.")] = False,
) -> None:
    """Create a template in .envkeep/templates (or your own directory with --user).

    Example: envkeep template create postgres --from postgres.env
    """
    path = schemas.create_template(make_context(), name, source, user=user)
    output.done(f"created template '{name}' at {path}")


TemplateServicesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service",
        "-s",
        help="A service; give it again for more (or --all).",
        autocompletion=complete_service_name,
    ),
]
AllServicesOpt = Annotated[bool, typer.Option("--all", help="Every service.")]


@template_app.command("apply")
def template_apply(
    name: TemplateArg,
    service: TemplateServicesOpt = None,
    all_services: AllServicesOpt = False,
) -> None:
    """Make services inherit a template: its defaults become each service's lowest layer.
    All or nothing: if one service cannot take it, none is changed. The names it requires
    that a service lacks are named, per environment, with the command that sets them.

    Example: envkeep template apply postgres --service api --service worker
    """
    ctx = make_context()
    chosen = _chosen(service, all_services, f"apply {name}", lambda: every_service(ctx))
    for applied in template_services.apply_template(ctx, name, chosen):
        templates = ", ".join(applied.templates)
        output.done(f"service '{applied.service}' now uses templates: {templates}")
        for gap in applied.gaps:
            output.done(f"warning: {gap.describe()}")


@template_app.command("detach")
def template_detach(
    name: TemplateArg,
    service: TemplateServicesOpt = None,
    all_services: Annotated[
        bool, typer.Option("--all", help="Every service that uses the template.")
    ] = False,
) -> None:
    """Stop services inheriting a template (the template and stored values stay). All or
    nothing: if one named service does not use it, none is changed.

    Example: envkeep template detach postgres --service api
    """
    ctx = make_context()
    using = partial(template_services.services_using, ctx, name)
    chosen = _chosen(service, all_services, f"detach {name}", using)
    for left in template_services.detach_template(ctx, name, chosen):
        uses = ", ".join(left.templates) or "none"
        output.done(
            f"service '{left.service}' no longer uses template '{name}' (templates: {uses})"
        )


def _chosen(
    services: list[str] | None, all_services: bool, words: str, every: Callable[[], list[str]]
) -> list[str]:
    """The services given with --service (``-`` refused), or ``every()`` with --all."""
    if all_services and services:
        raise UsageError("--all and --service both say which services", hint="give one of them")
    if all_services:
        return every()
    if not services:
        raise UsageError(
            "say which services",
            hint=f"pass --service NAME (again for more) or --all:"
            f" envkeep template {words} --service NAME",
        )
    return [service_name(s) for s in services]
