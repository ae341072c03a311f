"""`envkeep activate-all`: every service's resolved, validated .env written into its path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.committable import warn_committable
from envkeep.cli.misread_warning import warn_misread
from envkeep.cli.options import EnvOpt, JsonOpt
from envkeep.cli.state import make_context
from envkeep.client import activation

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.core.validate import Finding


def activate_all(
    env: EnvOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace .env files envkeep did not write, or that were edited since it did"
            " (kept as .env.bak, .env.bak.1, …).",
        ),
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Write even if the schemas find errors.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write every service's resolved, validated .env into its path (all or nothing).

    With the server down, a copy kept from an earlier read is used only if at most 1h old
    (ENVKEEP_MAX_AGE: another age, or off for none); else exit 5, nothing written.

    Example: envkeep activate-all --env dev --dry-run
    """
    ctx = make_context(artifact=True)
    env_name = ctx.default_env(env)
    plans, skipped = activation.plan_activation(
        ctx, env_name, force=force, validate=not no_validate
    )
    if json_out:
        # The plan is printed for a refused run too, so that a script sees which service
        # failed validation, or which file blocked.
        stopped = activation.invalid(plans) or activation.blocked(plans)
        if not dry_run and not stopped:
            activation.apply_activation(plans)
        output.print_json([_plan_json(p) for p in plans])
        activation.refuse_invalid(plans, env_name, validate=not no_validate)
        activation.refuse_blocked(plans, dry_run=dry_run)
        _warn_of_files(ctx.project_file.root, plans)
        return
    activation.refuse_invalid(plans, env_name, validate=not no_validate)
    if not dry_run:
        activation.apply_activation(plans)
    rows = [
        (
            p.service,
            str(p.path.relative_to(ctx.project_file.root)),
            p.action,
            str(p.count),
            _changes_text(p),
        )
        for p in plans
    ]
    output.print_table(
        ("SERVICE", "FILE", "ACTION", "VARIABLES", "CHANGES"), rows, empty="no services with a path"
    )
    for names, why, fix in (
        (
            skipped.no_path,
            "no path",
            "give one a directory with: envkeep service set {} --path DIR",
        ),
        (
            skipped.not_stored,
            "not in the store",
            "add it to the store (envkeep.toml keeps it): envkeep service add {}",
        ),
    ):
        if names:
            output.done(f"skipped ({why}): {', '.join(names)}")
            output.done(f"hint: {fix.format(names[0])}")
    if dry_run:  # fails as the run would (which refused before writing, above)
        activation.refuse_blocked(plans, dry_run=True)
    verb = "would write" if dry_run else "wrote"
    written = sum(1 for p in plans if p.action != "unchanged")
    output.done(f"{verb} {written} of {len(plans)} .env files for '{env_name}'")
    _warn_of_files(ctx.project_file.root, plans)


def _plan_json(plan: activation.FilePlan) -> dict[str, object]:
    return {
        "service": plan.service,
        "path": str(plan.path),
        "action": plan.action,
        "variables": plan.count,
        "backup": None if plan.backup is None else str(plan.backup),
        "edited": plan.edited,
        "added": list(plan.added),
        "removed": list(plan.removed),
        "changed": list(plan.changed),
        "problems": [_problem_json(plan, f) for f in plan.problems],  # `invalid`: why
    }


def _problem_json(plan: activation.FilePlan, finding: Finding) -> dict[str, str | None]:
    """What failed validation, as `validate --json` says it (never the value)."""
    return {
        "name": finding.name,
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "layer": plan.check.layer_of(finding) if plan.check else None,
    }


def _warn_of_files(root: Path, plans: list[activation.FilePlan]) -> None:
    """Say so when git would commit a .env file, which holds secrets, and when another reader
    would read a value in one otherwise than stored."""
    warn_committable(root, activation.exposed_to_git(root, plans))
    entries = (entry for plan in plans for entry in plan.values.items())
    warn_misread(entries, instead="envkeep run passes any value as it is")


def _changes_text(plan: activation.FilePlan) -> str:
    if plan.edited:
        return "edited since envkeep wrote it"
    if plan.action == "reformat":
        return "same values, in a new order or quoting"
    parts = [f"+{n}" for n in plan.added] + [f"-{n}" for n in plan.removed]
    parts += [f"~{n}" for n in plan.changed]
    return " ".join(parts[:6]) + (" …" if len(parts) > 6 else "")
