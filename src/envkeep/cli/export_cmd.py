"""`envkeep export`: the resolved values for another tool, printed or written to a file (or
added to one, as GitHub Actions' ``$GITHUB_ENV``, masking in the job's log each value that may
be secret); a Kubernetes ConfigMap of the values known not to be secret. Which those are is
`client/export_secrets`' word, for both."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.export_all_cmd import export_every_service, refuse_for_all
from envkeep.cli.misread_warning import warn_misread
from envkeep.cli.options import EnvOpt, ServiceOpt, complete_from
from envkeep.cli.state import make_context
from envkeep.client import resolving
from envkeep.client.export_secrets import (
    refuse_configmap_without_checkout,
    split_for_configmap,
    values_to_mask,
)
from envkeep.client.resolution import noting_without_checkout, personal_note
from envkeep.core.errors import UsageError
from envkeep.core.files import append_private, refuse_existing, write_new
from envkeep.core.secret_split import Reason
from envkeep.core.wording import spoken_list
from envkeep.integrations.exporters import EXPORTERS, export, format_named, format_names
from envkeep.integrations.gitlab_limits import over_gitlab_limits
from envkeep.integrations.k8s_manifests import K8S_KINDS, default_secret_name

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
            help=f"One of: {', '.join(format_names())}. docker: for `docker run --env-file`"
            " (values raw, one line each); for compose `env_file:` use dotenv.",
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
            " GitHub Actions job, --format github also masks in the job's log each value that"
            " may be secret.",
        ),
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Export even if the schema finds errors.")
    ] = False,
    all_services: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every service, from one read: k8s, one Secret each in one YAML; json, one"
            " object by service.",
        ),
    ] = False,
) -> None:
    """Print (or write) the resolved values for another tool. A service's values are checked
    against its schema first, as `run` checks them (exit 3 on errors, nothing written).

    k8s writes a Secret with every value. k8s-configmap writes a ConfigMap, which is not
    encrypted at rest: anyone who can read ConfigMaps in the namespace can read it. It holds
    only the values known not to be secret: a name goes in when a service's schema declares
    it, no schema marks it @secret, its value holds no credential (a password in a URL, a
    token, a private key) and no ${...} reference fills it from a secret. Every other variable
    is left out and named on stderr with the reason (still exit 0): put those in the Secret.
    To put a name in the ConfigMap, declare it in a schema without @secret. It needs the
    project's checkout, where the schemas are.

    In a GitHub Actions job, --format github -o "$GITHUB_ENV" --append masks each value in
    the job's log but those the same rule finds not secret (every value without the checkout).
    There, --format github to the job's log (no -o, stdout not a file) is refused: the log
    would show every value.

    With the server down, a copy kept from an earlier read is exported only if at most 1h old
    (ENVKEEP_MAX_AGE: another age, or off for none); else exit 5, nothing written.

    --all exports every service at once, all or nothing (one service's errors: nothing
    written): --format k8s writes one Secret per service, each named as its own export
    names it, in one YAML for `kubectl apply -f`; --format json one object keyed by service.

    Example: envkeep export --env prod --service api --format k8s --namespace shop -o secret.yaml
    """
    ctx = make_context(artifact=True)
    if out is not None and str(out) == "-":
        out = None
    fmt = format_named(fmt)  # refused before any note of a read
    if all_services:
        refuse_for_all(fmt, service=service, name=name)
        _refuse_before_reading(ctx, fmt, out, append=append, force=force)
        validate = not no_validate
        export_every_service(
            ctx, ctx.default_env(env), fmt, out, namespace=namespace, force=force, validate=validate
        )
        return
    service = ctx.default_service(service)
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
    if fmt == "gitlab" and (too_big := over_gitlab_limits(text, len(values))) is not None:
        output.done(too_big)
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

        sys.stdout.write(mask_commands(values_to_mask(ctx, resolution)))
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
    if out == Path():  # how -o "" arrives: "$GITHUB_ENV" outside a job
        raise UsageError(
            "-o names no file: it is empty (or '.')",
            hint="$GITHUB_ENV is set only in a GitHub Actions job; elsewhere give a file, or"
            " - for stdout",
        )
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
    if fmt == "github" and out is None and ctx.settings.github_actions and not _stdout_is_a_file():
        raise UsageError(
            "in a GitHub Actions job, --format github without -o prints the values into the"
            " job's log, unmasked",
            hint="write them to the job's env file, each masked in the log: envkeep export"
            ' --format github -o "$GITHUB_ENV" --append',
        )
    if out is not None and not append:
        refuse_existing(out, force=force, streams=True)
    if fmt == "k8s-configmap":
        refuse_configmap_without_checkout(ctx)


def _stdout_is_a_file() -> bool:
    """Whether stdout is a regular file (``> "$GITHUB_ENV"``), not the pipe a job's step log
    reads."""
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError):  # no descriptor (an in-process capture): not a file
        return False


def _for_kubernetes(
    ctx: ClientContext,
    fmt: str,
    service: str | None,
    resolution: Resolution,
    name: str | None,
) -> tuple[Mapping[str, str], str]:
    """The values a k8s format carries (a ConfigMap's: those known not to be secret) and the
    object's name (by default the service's, said on stderr)."""
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
    """The values for a ConfigMap; says on stderr which were left out, by reason, and how to
    put a name in."""
    split = split_for_configmap(ctx, resolution)
    for reason in Reason:
        names = split.names(reason)
        if names:
            output.done(
                f"left out of the ConfigMap, as {_why(reason, names)}: {spoken_list(names)}"
            )
    if split.reasons:
        output.done(
            "hint: the Secret (--format k8s) carries every value; to put a name in the ConfigMap,"
            " declare it in a service's schema without @secret (a value that holds a credential"
            " or is filled from a secret stays out)"
        )
    return split.plain


def _why(reason: Reason, names: tuple[str, ...]) -> str:
    """Why ``names`` were left out, in words that agree with how many they are."""
    many = len(names) > 1
    them, their = ("them", "their") if many else ("it", "its")
    if reason is Reason.MARKED:
        return f"a schema marks {them} @secret"
    if reason is Reason.HOLDING:
        return f"a reference fills {them} from a value left out as secret"
    if reason is Reason.CREDENTIAL:
        values_carry = "values carry" if many else "value carries"
        return (
            f"{their} {values_carry} a credential (a password in a URL, a token or a private key)"
        )
    if reason is Reason.SECRET_NAME:
        names_look = "names look" if many else "name looks"
        return f"no schema declares {them} and {their} {names_look} secret"
    return f"no schema declares {them}"
