"""`envkeep history|rollback`: a variable's versions, and restoring one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import long_plans, output
from envkeep.cli.options import (
    DryRunPlanOpt,
    EnvOpt,
    JsonOpt,
    NoValidateOpt,
    RevealOpt,
    ServiceOpt,
    YesOpt,
)
from envkeep.cli.state import WriteScope, confirm, confirming, make_context
from envkeep.client import scope_rollback, variable_history
from envkeep.client.history import from_the_server
from envkeep.client.shadowed_shared import shadow_notes
from envkeep.core.errors import UsageError
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.history import HistoryEntry
    from envkeep.client.shadowed_shared import Shadowed


def history(
    name: Annotated[str, typer.Argument(help="Variable name.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
    changes: Annotated[
        bool,
        typer.Option(
            "--changes",
            help="Leave out the versions key rotations wrote (the same value under a new key);"
            " the others keep their numbers, for rollback --to.",
        ),
    ] = False,
) -> None:
    """Show every version of a variable: author, time, value (masked unless --reveal).

    Example: envkeep history DATABASE_URL --env dev --changes
    """
    ctx = make_context()
    service = ctx.default_service(service)
    env_name = ctx.default_env(env)
    with from_the_server(ctx):
        found = variable_history.service_history(ctx, env_name, service, name)
    entries = found.entries
    if changes:
        entries = [e for e in entries if not e.rekeyed]
    if json_out:
        output.print_json([_history_json(e, reveal=reveal) for e in entries])
        return
    noted = any(e.note for e in entries)  # a NOTE column only where a version needs one
    rows = [
        (str(e.version), _history_value(e, reveal=reveal), e.author, e.created_at)
        + ((e.note or "",) if noted else ())
        for e in entries
    ]
    headers = ("VERSION", "VALUE", "AUTHOR", "TIME") + (("NOTE",) if noted else ())
    output.print_table(headers, rows, empty="no history")
    if found.shared_seen:
        output.done(
            f"{service} sees the shared {name} now: envkeep history {name} --env {env_name}"
            " --service -"
        )


def _history_json(entry: HistoryEntry, *, reveal: bool) -> dict[str, object]:
    shown = {"value": entry.value} if reveal and not entry.sealed else {}
    return {
        "version": entry.version,
        "author": entry.author,
        "created_at": entry.created_at,
        "deleted": entry.value is None and not entry.sealed,
        "key_version": entry.key_version,
        "state": entry.state,
        "same_as": entry.same_as,
        "after_sealed": entry.after_sealed,
    } | shown


def _history_value(entry: HistoryEntry, *, reveal: bool) -> str:
    return "(sealed)" if entry.sealed else output.mask(entry.value, reveal=reveal)


ToTimeOpt = Annotated[
    str | None,
    typer.Option(
        "--to-time",
        help="Instead of one NAME: every variable of the scope as it was at this time (ISO, UTC"
        " unless it names an offset, or an age: 15m, 2h, 1d ago).",
        show_default=False,
    ),
]


def rollback(
    name: Annotated[
        str | None, typer.Argument(help="Variable name (not with --to-time).", show_default=False)
    ] = None,
    to: Annotated[
        int | None,
        typer.Option("--to", help="The version whose value to restore.", show_default=False),
    ] = None,
    to_time: ToTimeOpt = None,
    env: EnvOpt = None,
    service: ServiceOpt = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
    dry_run: DryRunPlanOpt = False,
) -> None:
    """Restore an earlier version's value (as a new version). The value is checked as `set`
    checks it: against the schemas, and its ${...} (refused in a reference cycle, a warning
    when it does not resolve).

    With --to-time, the whole scope goes back to that time as one batch: values changed since
    set back, variables created since deleted, variables deleted since restored. It shows the
    names first (of more than 50, the first 40 and how many of each kind; --dry-run: every
    one, and nothing written), then asks.

    Example: envkeep rollback DATABASE_URL --env dev --to 1

    Example: envkeep rollback --env prod --service api --to-time 2h
    """
    _refuse_mixed(name, to, to_time, dry_run=dry_run)
    at = WriteScope.of(env, service)
    if to_time is not None:
        _rollback_to_time(at, to_time, yes=yes, check=not no_validate, dry_run=dry_run)
    elif name is not None and to is not None:
        _rollback_name(at, name, to, yes=yes, check=not no_validate)


def _refuse_mixed(
    name: str | None, to: int | None, to_time: str | None, *, dry_run: bool = False
) -> None:
    """One form or the other: ``NAME --to N``, or ``--to-time`` for the whole scope (the one
    with a plan to show: --dry-run)."""
    forms = "envkeep rollback NAME --to N, or envkeep rollback --to-time TIME (the whole scope)"
    if dry_run and to_time is None:
        raise UsageError("--dry-run goes with --to-time (its plan of the whole scope)", hint=forms)
    if to_time is not None and name is not None:
        raise UsageError("--to-time rolls back the whole scope, not one NAME", hint=forms)
    if to_time is not None and to is not None:
        raise UsageError("--to and --to-time do not go together", hint=forms)
    if to_time is None and (name is None or to is None):
        missing = "a NAME" if name is None else "--to N"
        raise UsageError(f"rollback needs {missing}", hint=forms)


def _rollback_name(at: WriteScope, name: str, to: int, *, yes: bool, check: bool) -> None:
    done = confirming(
        at.ctx.settings,
        yes,
        lambda ok: variable_history.rollback(
            at.ctx, at.env, at.service, name, to, confirmed=ok, check=check
        ),
        where=at.words,
    )
    if not done.written:
        output.done(
            f"{name} has the value of version {to} already (it is version {done.version} in"
            f" {at.words}); nothing written"
        )
        return
    output.done(
        f"{name} is now version {done.version} in {at.words}, with the value of version {to}"
    )
    for unresolved in done.unresolved:
        output.done(f"warning: {unresolved.describe()}")
    _say_shadowed(at.env, done.shadowed)


def _rollback_to_time(
    at: WriteScope, to_time: str, *, yes: bool, check: bool, dry_run: bool
) -> None:
    moment = scope_rollback.parse_moment(to_time)
    when = utc_second(moment)
    with from_the_server(at.ctx):
        plan = scope_rollback.plan_scope_rollback(at.ctx, at.env, at.service, moment, check=check)
    if not plan.changes:
        output.done(f"{at.words} holds what it held at {when} already; nothing written")
        return
    output.done(f"to bring {at.words} back to {when}:")
    _print_changes(plan.changes, whole=dry_run)
    for unresolved in plan.unresolved:
        output.done(f"warning: {unresolved.describe()}")
    count = len(plan.changes)
    if dry_run:
        output.done(f"would roll back {output.counted(count, 'variable')}; nothing written")
        _say_shadowed(at.env, plan.shadowed)
        return
    what = "this change" if count == 1 else f"these {count:,} changes"
    confirm(at.ctx.settings, f"Write {what} to {at.words}?", yes=yes)
    count = scope_rollback.apply_scope_rollback(at.ctx, plan)
    output.done(f"rolled back {output.counted(count, 'variable')} in {at.words} to {when}")
    _say_shadowed(at.env, plan.shadowed)


def _say_shadowed(env: str, shadowed: Sequence[Shadowed]) -> None:
    for note in shadow_notes(env, shadowed):
        output.done(note)


def _print_changes(changes: Sequence[scope_rollback.TimedChange], *, whole: bool) -> None:
    """A line per change, cut when long (`long_plans`) unless ``whole``."""
    part = long_plans.shown(changes, whole=whole)
    width = max(len(c.name) for c in part)
    for change in part:
        output.done(f"  {_MARKS[change.kind]} {change.name:<{width}}  {_SAID[change.kind]}")
    kinds = (f"{_MARKS[c.kind]} {_SAID[c.kind].partition(' (')[0]}" for c in changes)
    long_plans.say_left_out(len(changes), len(part), kinds)


_MARKS = {scope_rollback.SET_BACK: "~", scope_rollback.DELETED: "-", scope_rollback.RESTORED: "+"}
_SAID = {
    scope_rollback.SET_BACK: "set back (changed since)",
    scope_rollback.DELETED: "deleted (created since)",
    scope_rollback.RESTORED: "restored (deleted since)",
}
