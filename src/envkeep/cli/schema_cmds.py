"""`envkeep validate`, `validate-service`, `explain` and `schema …` (`template …` is in
template_cmds.py)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli._schema_fields import field_json, type_text
from envkeep.cli.errors import report
from envkeep.cli.options import (
    EnvOpt,
    JsonOpt,
    RevealOpt,
    ServiceArg,
    ServiceOpt,
    complete_service,
    complete_service_name,
    service_name,
)
from envkeep.cli.state import make_context
from envkeep.cli.validate_json import warnings_json
from envkeep.client import schemas, service_entries, validation
from envkeep.client.explanation import explain_name
from envkeep.client.schema_notes import warn_of_checked
from envkeep.core.errors import ReferenceProblem, UsageError, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envkeep.client.context import ClientContext

schema_app = typer.Typer(help="Show or write a service's schema.", no_args_is_help=True)


def _findings_json(checked: list[validation.Checked], reveal: bool) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for c in checked:
        for f in c.findings:
            item: dict[str, object] = {
                "service": f.service,
                "name": f.name,
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "layer": c.layer_of(f),
            }
            if reveal:
                item["value"] = f.value
            found.append(item)
    return found


def validate(
    env: EnvOpt = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            "-s",
            help="The service to check (or --all).",
            autocompletion=complete_service,
        ),
    ] = None,
    all_services: Annotated[bool, typer.Option("--all", help="Every service.")] = False,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Check what services see against their schemas; exit 3 on any error.

    Example: envkeep validate --env prod --all

    Run it in the project's checkout: the schemas are there (envkeep.toml and each service's
    schema file). Where there is no envkeep.toml (ENVKEEP_PROJECT names the project) nothing
    can be checked, and it exits 2.
    """
    ctx = make_context()
    if not all_services and service is None and not ctx.has_checkout:
        all_services = True  # no checkout, no service here: say why nothing can be checked
    if not all_services:
        service = ctx.default_service(service)
    if service is None and not all_services:
        raise UsageError(
            "say which services",
            hint="pass --service NAME or --all (or run it in a service's directory)",
        )
    env_name = ctx.default_env(env)
    found = validation.check_services(ctx, env_name, None if all_services else [service or ""])
    counts = found.checked or not (found.unread or found.broken)  # none checked: no table
    # What a schema may not mean, and placeholders kept as values: said before the counts,
    # which count them too, so that the counts never read "0 warnings" under them.
    noted = warn_of_checked(ctx, found.checked, env_name)
    if json_out and counts:  # none checked: no "[]", which would read as all valid
        output.print_json(
            _findings_json(found.checked, reveal) + warnings_json(noted, reveal=reveal)
        )
    elif counts:
        _print_table(found.checked, reveal=reveal)
    if counts:
        unchecked = len(found.unread) + len(found.broken)
        _print_counts(found.checked, env_name, unchecked=unchecked, noted=len(noted))
    if personal := validation.personal_names(found.checked):
        output.done(f"hint: {validation.personal_hint(personal)}")
    _note_unused_examples(ctx, [c.service for c in found.checked])
    for source, names in validation.examples_not_defaults(ctx, found.checked):
        output.done(
            f"note: {source} gives {', '.join(names)} an example value, which is not a default;"
            " a '# @default=VALUE' comment above it makes one"
        )
    _exit_unless_valid(ctx, found)


def _print_table(checked: list[validation.Checked], *, reveal: bool) -> None:
    rows = [
        (
            c.service or "shared",
            f.name,
            f.severity,
            f.rule,
            f.message,
            output.mask(f.value, reveal=reveal, absent="-"),
        )
        for c in checked
        for f in c.findings
    ]
    if rows:  # nothing found: the counts say so, without an empty line before them
        output.print_table(("SERVICE", "NAME", "LEVEL", "RULE", "PROBLEM", "VALUE"), rows, empty="")


def _print_counts(
    checked: list[validation.Checked], env: str, *, unchecked: int = 0, noted: int = 0
) -> None:
    """The counts line; ``unchecked``: services whose schema could not be read, said here too
    so that the line does not read as a pass before the error that follows it; ``noted``:
    the schema files' own warnings, printed above it."""
    errors = sum(len(c.errors) for c in checked)
    warnings = sum(len(c.findings) for c in checked) - errors + noted
    missed = f"; {unchecked} not checked" if unchecked else ""
    output.done(
        f"{output.counted(errors, 'error')}, {output.counted(warnings, 'warning')}"
        f" in {output.counted(len(checked), 'service')} ({env}){missed}"
    )


def _exit_unless_valid(ctx: ClientContext, found: validation.ProjectCheck) -> None:
    """Exit 3 when a value was found wrong or a service's schema file is broken (what valid
    means there cannot be read: validation failed, as the README's table says); else 2 when
    a service's schema is not here (not checked is not valid). Either way the unread and
    broken services are named."""
    failed = bool(found.broken) or any(c.errors for c in found.checked)
    for service, error in found.broken:
        report(error, debug=ctx.settings.debug)
        if len(found.broken) + len(found.checked) > 1:  # the others were checked
            output.done(f"{service} was not checked (the error above)")
    if found.unread:
        unread = validation.unread_schemas(ctx, found.unread)
        if not failed:
            raise unread
        report(unread, debug=ctx.settings.debug)
    if failed:
        raise typer.Exit(ValidationFailed.exit_code)


def _note_unused_examples(ctx: ClientContext, services: Iterable[str | None]) -> None:
    """Say so when a service without a schema has a .env.example in its directory: nothing
    was checked against that file, which looks like a schema."""
    for name in services:
        found = service_entries.unused_example(ctx.project_file, name) if name else None
        if name and found:
            output.done(
                f"note: service '{name}' has no schema, so {found} is not used; to use it: "
                + shlex.join(["envkeep", "service", "set", name, "--schema", found])
            )


def validate_service(
    service: ServiceArg,
    env: EnvOpt = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Validate one service (the same as `envkeep validate --service`).

    Example: envkeep validate-service api --env staging
    """
    validate(env=env, service=service, reveal=reveal, json_out=json_out)


def explain(
    name: Annotated[str, typer.Argument(help="Variable name.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Show every layer that sets a name, which one won, and the references it expanded.

    Example: envkeep explain DATABASE_URL --env dev --service api
    """
    ctx = make_context()
    service = ctx.default_service(service)
    found = explain_name(ctx, ctx.default_env(env), service, name)
    if json_out:
        shown = {
            "layers": [
                {"layer": layer} | ({"value": v} if reveal else {}) for layer, v in found.trace
            ]
        }
        output.print_json(
            {
                "name": name,
                "service": service,
                "winner": found.winner,
                "references": list(found.references),
                "error": found.error,
            }
            | shown
            | ({"value": found.value} if reveal else {})
        )
        _exit_on_reference_error(found.error)
        return
    rows = [
        ("*" if layer == found.winner else "", layer, output.mask(value, reveal=reveal))
        for layer, value in found.trace
    ]
    output.print_table(("", "LAYER", "VALUE"), rows, empty="")
    if found.references:
        output.say(f"references: {', '.join(found.references)}")
    output.say(f"final: {output.mask(found.value, reveal=reveal)}")
    if found.error:
        output.say(f"error: {found.error}")
    _exit_on_reference_error(found.error)


def _exit_on_reference_error(error: str | None) -> None:
    """Exit as `get` does on the same value (3) once the layers are shown."""
    if error:
        raise typer.Exit(ReferenceProblem.exit_code)


@schema_app.command("show")
def schema_show(
    service: ServiceArg,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Print what envkeep understood of a service's schema (secret defaults masked).

    Example: envkeep schema show api
    """
    ctx = make_context()
    schema = schemas.show_schema(ctx, service)
    if json_out:
        output.print_json([field_json(f, reveal=reveal) for f in schema.fields])
        return
    rows = [
        (
            f.name,
            type_text(f),
            "yes" if f.required else "",
            output.mask(f.default, reveal=reveal or not f.secret, absent=""),
            "yes" if f.secret else "",
            f.description or "",
        )
        for f in schema.fields
    ]
    output.print_table(
        ("NAME", "TYPE", "REQUIRED", "DEFAULT", "SECRET", "DESCRIPTION"), rows, empty="no schema"
    )
    if not schema.fields:
        _note_unused_examples(ctx, [service])


@schema_app.command("init")
def schema_init(
    service: Annotated[
        str,
        typer.Option("--service", "-s", help="Service name.", autocompletion=complete_service_name),
    ],
    env: EnvOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Where to write (default: the service's .env.example; - for stdout).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a .env.example from what is stored: names and inferred types, no values.

    Example: envkeep schema init --service api --env dev
    """
    ctx = make_context()
    name, env_name = service_name(service), ctx.default_env(env)
    if out is not None and str(out) == "-":  # as export's -o -: never a file named -
        sys.stdout.write(schemas.schema_text(ctx, name, env_name))
        return
    path = schemas.init_schema(ctx, name, env_name, output=out, force=force)
    output.done(f"wrote {path}")
