"""`envkeep export`: the resolved values for another tool, printed or written to a file (or
added to one, as GitHub Actions' ``$GITHUB_ENV``, whose values it masks in the job's log); a
Kubernetes ConfigMap without the values a schema marks secret (`client/configmap_split`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.misread_warning import warn_misread
from envkeep.cli.options import EnvOpt, ServiceOpt, complete_from
from envkeep.cli.state import make_context
from envkeep.client import resolving
from envkeep.client.configmap_split import refuse_configmap_without_checkout, split_for_configmap
from envkeep.client.resolution import noting_without_checkout, personal_note
from envkeep.core.errors import UsageError
from envkeep.core.files import append_private, refuse_existing, write_new
from envkeep.core.wording import spoken_list
from envkeep.integrations.exporters import EXPORTERS, K8S_KINDS, default_secret_name, export

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.client.context import ClientContext
    from envkeep.core.resolve import Resolution

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
        typer.Option(
            help="k8s, k8s-configmap: the Secret's or ConfigMap's name (default: the"
            " service's, or PROJECT-shared)."
        ),
    ] = None,
    namespace: Annotated[
        str | None, typer.Option(help="k8s, k8s-configmap: the Secret's or ConfigMap's namespace.")
    ] = None,
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

    k8s writes a Secret with every value. k8s-configmap writes a ConfigMap, which is not
    encrypted at rest: anyone who can read ConfigMaps in the namespace can read it. It leaves
    out, and names, each variable that any service's schema marks @secret or that a ${...}
    reference builds from one (put those in the Secret); a name that looks secret but that no
    schema declares goes in, with a warning. It needs the project's checkout, where the
    schemas are.

    With the server down, a copy kept from an earlier read is exported only if at most 1h old
    (ENVKEEP_MAX_AGE: another age, or off for none); else exit 5, nothing written.

    Example: envkeep export --env prod --service api --format k8s --namespace shop -o secret.yaml
    """
    ctx = make_context(artifact=True)
    service = ctx.default_service(service)
    if out is not None and str(out) == "-":
        out = None
    _refuse_before_reading(ctx, fmt, out, append=append, force=force)
    with noting_without_checkout(ctx, service, validate=not no_validate):
        resolution = resolving.resolved(
            ctx, ctx.default_env(env), service, validate=not no_validate
        )
    values: Mapping[str, str] = resolution.values
    note = personal_note(resolution.set_by({"local"}))
    if note is not None:  # another tool gets them: say so (they are meant for this machine)
        output.done(note)
    if fmt in K8S_KINDS:
        values, name = _for_kubernetes(ctx, fmt, service, resolution, name)
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


def _refuse_before_reading(
    ctx: ClientContext, fmt: str, out: Path | None, *, append: bool, force: bool
) -> None:
    """Refuse what cannot be done before the store is read (and perhaps unlocked)."""
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
        refuse_existing(out, force=force)
    if fmt == "k8s-configmap":
        refuse_configmap_without_checkout(ctx)


def _for_kubernetes(
    ctx: ClientContext,
    fmt: str,
    service: str | None,
    resolution: Resolution,
    name: str | None,
) -> tuple[Mapping[str, str], str]:
    """The values a k8s format carries (a ConfigMap's leave secrets out) and the object's
    name (by default the service's, said on stderr)."""
    kind = K8S_KINDS[fmt]
    values: Mapping[str, str] = resolution.values
    if kind == "ConfigMap":
        values = _configmap_values(ctx, resolution)
    if name is None:
        services = [s.name for s in ctx.project_file.services]
        name = default_secret_name(ctx.project_file.project, services, service, kind=kind)
        output.done(
            f"{kind} name: {name} (after the {'service' if service else 'project'};"
            " choose one with --name)"
        )
    return values, name


def _configmap_values(ctx: ClientContext, resolution: Resolution) -> Mapping[str, str]:
    """The values for a ConfigMap; says on stderr which were left out as secret, and which
    went in though their names look secret."""
    split = split_for_configmap(ctx, resolution)
    if split.secret:
        output.done(
            f"left out of the ConfigMap, as a schema marks {_them(split.secret)} @secret:"
            f" {spoken_list(split.secret)} (put {_them(split.secret)} in a Secret:"
            " --format k8s)"
        )
    if split.holding:
        them = _them(split.holding)
        output.done(
            f"left out of the ConfigMap, as a reference puts a secret's value in {them}:"
            f" {spoken_list(split.holding)} (put {them} in a Secret: --format k8s)"
        )
    if split.unmarked:
        them, names_look = _them(split.unmarked), _names_look(split.unmarked)
        output.done(
            f"warning: no schema declares {spoken_list(split.unmarked)}, whose {names_look}"
            f" secret; the ConfigMap holds {them} unencrypted (mark {them} @secret in a schema"
            f" to keep {them} out)"
        )
    return split.values


def _them(names: tuple[str, ...]) -> str:
    return "them" if len(names) > 1 else "it"


def _names_look(names: tuple[str, ...]) -> str:
    return "names look" if len(names) > 1 else "name looks"
