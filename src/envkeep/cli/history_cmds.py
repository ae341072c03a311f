"""`envkeep history|rollback`: a variable's versions, and restoring one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    EnvOpt,
    JsonOpt,
    NoValidateOpt,
    RevealOpt,
    ServiceOpt,
    YesOpt,
)
from envkeep.cli.state import WriteScope, confirming, make_context
from envkeep.client import variables
from envkeep.client.history import from_the_server

if TYPE_CHECKING:
    from envkeep.client.history import HistoryEntry


def history(
    name: Annotated[str, typer.Argument(help="Variable name.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Show every version of a variable: author, time, value (masked unless --reveal).

    Example: envkeep history DATABASE_URL --env dev
    """
    ctx = make_context()
    service = ctx.default_service(service)
    with from_the_server(ctx):
        entries = variables.history(ctx, ctx.default_env(env), service, name)
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
    } | shown


def _history_value(entry: HistoryEntry, *, reveal: bool) -> str:
    return "(sealed)" if entry.sealed else output.mask(entry.value, reveal=reveal)


def rollback(
    name: Annotated[str, typer.Argument(help="Variable name.")],
    to: Annotated[int, typer.Option("--to", help="The version whose value to restore.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
) -> None:
    """Restore an earlier version's value (as a new version). The value is checked as `set`
    checks it: against the schemas, and its ${...} (refused in a reference cycle, a warning
    when it does not resolve).

    Example: envkeep rollback DATABASE_URL --env dev --to 1
    """
    at = WriteScope.of(env, service)
    done = confirming(
        at.ctx.settings,
        yes,
        lambda ok: variables.rollback(
            at.ctx, at.env, at.service, name, to, confirmed=ok, check=not no_validate
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
