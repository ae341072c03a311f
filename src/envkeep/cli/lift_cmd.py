"""`envkeep lift`: move a value the services hold alike into the shared scope."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    DryRunPlanOpt,
    EnvOpt,
    JsonOpt,
    NoValidateOpt,
    YesOpt,
    complete_service_name,
)
from envkeep.cli.state import confirm, make_context
from envkeep.client import shared_values
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from typing import Any

    from envkeep.client.context import ClientContext
    from envkeep.client.shared_values import LiftPlan, Move


def lift(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Names to lift, or NAME=VALUE to give the value.", metavar="NAME"),
    ] = None,
    env: EnvOpt = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Take the value from this service's scope (when the services differ); -"
            " keeps the shared value (removes only the overrides that hold it).",
            autocompletion=complete_service_name,
        ),
    ] = None,
    suggest: Annotated[
        bool,
        typer.Option("--suggest", help="List the names two or more services hold alike."),
    ] = False,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
    dry_run: DryRunPlanOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Move variables that services set alike into the shared scope: the shared value becomes
    theirs, and each service's override holding that same value is removed, in one batch (all
    or nothing). Refused, naming which services differ (never a value), when they hold
    different values, unless you choose with --from SERVICE or NAME=VALUE; an override holding
    another value is kept (--dry-run shows the plan of the other names). Shows the plan, then
    asks: a service that did not set the name sees the shared value from then on. Candidates:
    envkeep lift --suggest.

    Example: envkeep lift REDIS_URL LOG_LEVEL --env dev
    """
    ctx = make_context(writes=not suggest)
    env_name = ctx.default_env(env)
    if suggest:
        _suggest(ctx, env_name, names or [], json_out=json_out)
        return
    if json_out and not (yes or dry_run):  # no prompt: stdout is the JSON
        raise UsageError("lift --json does not ask", hint="add --yes to write, or --dry-run")
    plan = shared_values.plan_lift(
        ctx, env_name, names or [], source=source, check=not no_validate,
        list_refused=dry_run or json_out,
    )  # fmt: skip
    if json_out:
        count = 0 if dry_run or plan.refused else shared_values.apply_lift(ctx, plan)
        output.print_json(_plan_json(env_name, plan, dry_run=dry_run, written=count))
        _refuse_differing(env_name, plan)
        return
    _say_plan(env_name, plan)
    if dry_run:
        if plan.moves:
            output.done(f"would write {output.counted(plan.changes, 'change')}; nothing written")
        _refuse_differing(env_name, plan)
        return
    if plan.moves:
        confirm(ctx.settings, f"Write these changes to '{env_name}'?", yes=yes)
        _said_lifted(env_name, plan, shared_values.apply_lift(ctx, plan))


def _say_plan(env: str, plan: LiftPlan) -> None:
    """Each name's plan on stdout (a name refused: the services that differ), and the
    warnings of values that will not resolve."""
    if not plan.moves and not plan.refused:
        output.done(f"nothing to lift in '{env}': no service holds a redundant override")
        return
    for move in plan.moves:
        _say_move(move)
    for refused in plan.refused:
        output.say(refused.line())
    for unresolved in plan.unresolved:
        output.done(f"warning: {unresolved.describe()}")


def _said_lifted(env: str, plan: LiftPlan, count: int) -> None:
    shared = output.counted(len(plan.moves), "variable")
    removed = output.counted(sum(len(m.removed) for m in plan.moves), "override")
    versions = output.counted(count, "version")
    output.done(f"lifted {shared} into '{env}' (shared); removed {removed} ({versions})")


def _refuse_differing(env: str, plan: LiftPlan) -> None:
    """Exit with the refusal a lift of the plan's refused names gets (2): nothing was
    written."""
    if plan.refused:
        raise shared_values.refusal(env, plan.refused)


def _plan_json(env: str, plan: LiftPlan, *, dry_run: bool, written: int) -> dict[str, Any]:
    """The plan, and what was written: names, whose value, the overrides removed and kept,
    the names refused with the services that differ (never a value)."""
    return {
        "env": env,
        "dry_run": dry_run,
        "names": [
            {
                "name": m.name,
                "shared": m.shared,
                "from": list(m.taken_from),
                "overrides_removed": list(m.removed),
                "overrides_kept": list(m.kept),
                "newly_seen": list(m.newly_seen),
            }
            for m in plan.moves
        ],
        "refused": [
            {"name": r.name, "services": [list(group) for group in r.groups], "reason": r.kind}
            for r in plan.refused
        ],
        "unresolved": [u.describe() for u in plan.unresolved],
        "changes": plan.changes,
        "written": written,
    }


def _say_move(move: Move) -> None:
    """The plan of one name, on stdout: what the shared scope gets, whose override goes or
    stays, and who sees the value from now on (never the value)."""
    shared = {"new": "set (new)", "replaced": "replaced", "kept": "unchanged (it holds that value)"}
    parts = [f"{move.name}: shared value {shared[move.shared]}"]
    if move.removed:
        parts.append(f"same value removed from {', '.join(move.removed)}")
    if move.kept:
        parts.append(f"kept in {', '.join(move.kept)} (another value)")
    output.say("; ".join(parts))
    if move.newly_seen:
        what = "it" if move.shared == "new" else "the new value"
        output.say(f"  {', '.join(move.newly_seen)} will see {what} (no value of their own)")


def _suggest(ctx: ClientContext, env: str, names: list[str], *, json_out: bool) -> None:
    """The candidates, names and services only, and the command sharing them all."""
    if names:
        raise UsageError("--suggest takes no names", hint=f"envkeep lift --suggest --env {env}")
    found = shared_values.suggest_lifts(ctx, env)
    if json_out:
        output.print_json([asdict(candidate) for candidate in found])
        return
    if not found:
        output.done(f"no variable in '{env}' is held alike by two or more services")
        return
    for candidate in found:
        alike = "the shared value" if candidate.same_as_shared else "one value"
        verb = "holds" if len(candidate.services) == 1 else "hold"
        line = f"{candidate.name}: {', '.join(candidate.services)} {verb} {alike}"
        if candidate.others and not candidate.same_as_shared:
            line += f" ({', '.join(candidate.others)}: another; lift it with --from"
            line += f" {candidate.services[0]})"
        output.say(line)
    fresh = " ".join(c.name for c in found if not (c.same_as_shared or c.others))
    if fresh:
        output.done(f"to lift them: envkeep lift {fresh} --env {env} --dry-run")
    if redundant := " ".join(c.name for c in found if c.same_as_shared):
        output.done(f"to remove the overrides: envkeep lift {redundant} --from - --env {env}")
