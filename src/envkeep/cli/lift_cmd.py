"""`envkeep lift`: move a value the services hold alike into the shared scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    DryRunPlanOpt,
    EnvOpt,
    NoValidateOpt,
    YesOpt,
    complete_service_name,
)
from envkeep.cli.state import confirm, make_context
from envkeep.client import shared_values
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.shared_values import Move


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
) -> None:
    """Move variables that services set alike into the shared scope: the shared value becomes
    theirs, and each service's override holding that same value is removed, in one batch (all
    or nothing). Refused, naming which services differ (never a value), when they hold
    different values, unless you choose with --from SERVICE or NAME=VALUE; an override holding
    another value is kept. Shows the plan, then asks: a service that did not set the name sees
    the shared value from then on. Candidates: envkeep lift --suggest.

    Example: envkeep lift REDIS_URL LOG_LEVEL --env dev
    """
    ctx = make_context(writes=not suggest)
    env_name = ctx.default_env(env)
    if suggest:
        _suggest(ctx, env_name, names or [])
        return
    plan = shared_values.plan_lift(ctx, env_name, names or [], source=source, check=not no_validate)
    if not plan.moves:
        output.done(f"nothing to lift in '{env_name}': no service holds a redundant override")
        return
    for move in plan.moves:
        _say_move(move)
    for unresolved in plan.unresolved:
        output.done(f"warning: {unresolved.describe()}")
    if dry_run:
        output.done(f"would write {output.counted(plan.changes, 'change')}; nothing written")
        return
    confirm(ctx.settings, f"Write these changes to '{env_name}'?", yes=yes)
    count = shared_values.apply_lift(ctx, plan)
    shared = output.counted(len(plan.moves), "variable")
    removed = output.counted(sum(len(m.removed) for m in plan.moves), "override")
    versions = output.counted(count, "version")
    output.done(f"lifted {shared} into '{env_name}' (shared); removed {removed} ({versions})")


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


def _suggest(ctx: ClientContext, env: str, names: list[str]) -> None:
    """The candidates, names and services only, and the command sharing them all."""
    if names:
        raise UsageError("--suggest takes no names", hint=f"envkeep lift --suggest --env {env}")
    found = shared_values.suggest_lifts(ctx, env)
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
