"""`envkeep template …`: named presets of variables, and the services that inherit them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
from envkeep.client import schemas

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


TemplateServiceOpt = Annotated[
    str,
    typer.Option("--service", "-s", help="The service.", autocompletion=complete_service_name),
]


@template_app.command("apply")
def template_apply(
    name: TemplateArg,
    service: TemplateServiceOpt,
) -> None:
    """Make a service inherit a template: its defaults become the service's lowest layer.
    The names it requires that the service lacks are named, per environment, with the command
    that sets them.

    Example: envkeep template apply postgres --service api
    """
    applied = schemas.apply_template(make_context(), name, service_name(service))
    output.done(f"service '{service}' now uses templates: {', '.join(applied.templates)}")
    for gap in applied.gaps:
        output.done(f"warning: {gap.describe()}")


@template_app.command("detach")
def template_detach(
    name: TemplateArg,
    service: TemplateServiceOpt,
) -> None:
    """Stop a service inheriting a template (the template and stored values stay).

    Example: envkeep template detach postgres --service api
    """
    left = schemas.detach_template(make_context(), name, service_name(service))
    uses = ", ".join(left) if left else "none"
    output.done(f"service '{service}' no longer uses template '{name}' (templates: {uses})")
