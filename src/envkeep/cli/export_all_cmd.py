"""`envkeep export --all`: every service's values in one export, from one read of the
environment: a multi-document YAML of one Kubernetes Secret per service, or one JSON object
keyed by service. All or nothing: any service's refusal writes nothing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from envkeep.cli import output
from envkeep.client.export_all import resolved_services
from envkeep.client.resolution import noting_without_checkout, personal_note
from envkeep.core.errors import UsageError
from envkeep.core.files import write_new
from envkeep.integrations.exports_by_service import FORMATS_FOR_ALL, export_by_service
from envkeep.integrations.k8s_manifests import default_secret_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from envkeep.client.context import ClientContext


def refuse_for_all(fmt: str, *, service: str | None, name: str | None) -> None:
    """Refuse, before the store is read, what --all cannot do."""
    if service is not None:
        raise UsageError(
            f"--all exports every service; --service {service} names one",
            hint="drop --service for every service, or drop --all for that one",
        )
    if fmt not in FORMATS_FOR_ALL:
        raise UsageError(
            f"--all takes --format k8s (or k8s-secret) or json, not {fmt}: those hold every"
            " service in one file",
            hint="write each service's .env into its directory with: envkeep activate-all;"
            f" or export one service: envkeep export --service NAME --format {fmt}",
        )
    if name is not None:
        raise UsageError(
            "--name names one Secret; --all writes one per service, each named after it",
            hint=f"drop --name, or export one service: envkeep export --service NAME --name {name}",
        )


def export_every_service(
    ctx: ClientContext,
    env: str,
    fmt: str,
    out: Path | None,
    *,
    namespace: str | None,
    force: bool,
    validate: bool,
) -> None:
    """Export every service of ``env`` in ``fmt`` (one of ``FORMATS_FOR_ALL``), to ``out``
    (None: stdout)."""
    # Any service name but None gets the note of a read without the checkout: every one here.
    with noting_without_checkout(ctx, "every service", validate=validate):
        checks = resolved_services(ctx, env, validate=validate)
    values: dict[str, Mapping[str, str]] = {c.service or "": c.resolution.values for c in checks}
    personal = {n for c in checks for n in c.resolution.set_by({"local"})}
    if (note := personal_note(personal)) is not None:  # meant for this machine: say so
        output.done(note)
    names = _secret_names(ctx, list(values)) if fmt == "k8s" else None
    text = export_by_service(values, fmt, names=names, namespace=namespace)
    if out is None:
        sys.stdout.write(text)
        return
    write_new(out, text.encode(), force=force, mode=0o600)
    variables = output.counted(sum(len(v) for v in values.values()), "variable")
    output.done(f"wrote {output.counted(len(values), 'service')} ({variables}) to {out}")


def _secret_names(ctx: ClientContext, services: Sequence[str]) -> dict[str, str]:
    """Each service's Secret name, as exporting it alone names it; said on stderr."""
    known = list(dict.fromkeys([*(s.name for s in ctx.project_file.services), *services]))
    try:
        names = {s: default_secret_name(ctx.project_file.project, known, s) for s in services}
    except UsageError as clash:
        raise UsageError(
            f"{clash.message}; nothing was written for any service",
            hint="export those services one at a time, each with --service NAME --name NAME",
        ) from clash
    output.done(f"Secret names: {', '.join(names.values())} (after each service)")
    return names
