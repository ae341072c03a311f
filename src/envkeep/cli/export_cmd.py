"""`envkeep export`: the resolved values for another tool, printed or written to a file (or
added to one, as GitHub Actions' ``$GITHUB_ENV``, whose values it masks in the job's log)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.misread_warning import warn_misread
from envkeep.cli.options import EnvOpt, ServiceOpt, complete_from
from envkeep.cli.state import make_context
from envkeep.client import variables
from envkeep.client.resolution import noting_without_checkout, personal_note
from envkeep.core.errors import UsageError
from envkeep.core.files import append_private, refuse_existing, write_new
from envkeep.integrations.exporters import EXPORTERS, default_secret_name, export

APPENDABLE = ("dotenv", "shell", "docker", "github", "gitlab")  # lines, which add up


def export_(
    env: EnvOpt = None,
    service: ServiceOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help=f"One of: {', '.join(EXPORTERS)}.",
            autocompletion=complete_from(EXPORTERS),
        ),
    ] = "dotenv",
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file (0600), atomically; - for stdout."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="k8s: the Secret's name (default: the service's, or PROJECT-shared)."),
    ] = None,
    namespace: Annotated[str | None, typer.Option(help="k8s: the Secret's namespace.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing -o file.")] = False,
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            help="Add to the end of the -o file (created if missing), as for $GITHUB_ENV; in a"
            " GitHub Actions job, --format github also masks each value in the job's log.",
        ),
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Export even if the schema finds errors.")
    ] = False,
) -> None:
    """Print (or write) the resolved values for another tool. A service's values are checked
    against its schema first, as `run` checks them (exit 3 on errors, nothing written).

    Example: envkeep export --env prod --service api --format k8s --namespace shop -o secret.yaml
    """
    ctx = make_context()
    service = ctx.default_service(service)
    if out is not None and str(out) == "-":
        out = None
    if append and (out is None or force):
        raise UsageError(
            "--append adds to the file -o names"
            + (", which --force would replace" if force else ""),
            hint='give the file: envkeep export --format github -o "$GITHUB_ENV" --append',
        )
    if append and fmt not in APPENDABLE:  # one more document after the first: no reader's
        raise UsageError(
            f"--append adds lines; a {fmt} export is one document, and two in a file read as"
            " neither",
            hint=f"append a format made of lines ({', '.join(APPENDABLE)}), or write a file"
            " of its own with -o",
        )
    if out is not None and not append:
        refuse_existing(out, force=force)  # before the store is read (and perhaps unlocked)
    with noting_without_checkout(ctx, service, validate=not no_validate):
        resolution = variables.resolved(
            ctx, ctx.default_env(env), service, validate=not no_validate
        )
    values = resolution.values
    note = personal_note(resolution.set_by({"local"}))
    if note is not None:  # another tool gets them: say so (they are meant for this machine)
        output.done(note)
    if fmt == "k8s" and name is None:
        services = [s.name for s in ctx.project_file.services]
        name = default_secret_name(ctx.project_file.project, services, service)
        output.done(
            f"Secret name: {name} (after the {'service' if service else 'project'};"
            " choose one with --name)"
        )
    text = export(values, fmt, name=name, namespace=namespace)
    if fmt == "dotenv":
        warn_misread(values.items(), instead="--format json holds any value as it is")
    masked = fmt == "github" and ctx.settings.github_actions
    if out is None:
        if masked:  # the values go to stdout: no room for the masks the log needs
            output.done(
                "warning: the job's log does not mask these values; write them with"
                ' -o "$GITHUB_ENV" --append, and envkeep masks each one there'
            )
        sys.stdout.write(text)
        return
    if masked:  # the runner reads workflow commands from stdout: masks first, then the file
        from envkeep.integrations.github_masks import mask_commands

        sys.stdout.write(mask_commands(value for _, value in sorted(values.items())))
        sys.stdout.flush()
    if append:
        append_private(out, text.encode())
    else:
        write_new(out, text.encode(), force=force, mode=0o600)
    done = "added" if append else "wrote"
    output.done(f"{done} {output.counted(len(values), 'variable')} to {out}")
