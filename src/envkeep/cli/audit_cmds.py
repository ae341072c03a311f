"""`envkeep audit`: query, export and verify the tamper-evident audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output, streamed
from envkeep.cli.options import JsonOpt, complete_env, complete_from
from envkeep.cli.state import make_context
from envkeep.client import audit
from envkeep.core.auditchain import AuditQuery, EventView, via_command
from envkeep.core.files import atomic_writer, refuse_existing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from envkeep.client.context import ClientContext
    from envkeep.core.auditchain import EventPage

audit_app = typer.Typer(
    help="The audit trail: who did what, when (workspace admins; a project's admin, its"
    " project's events).",
    invoke_without_command=True,
)
# The project whose events to read: a project admin's read (the workspace's admins read any).
AuditProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="Only this project's events (default in a checkout, for its project's admin: its"
        " project's; for the workspace's admins: every event).",
    ),
]


@audit_app.callback()
def query(
    ctx: typer.Context,
    principal: Annotated[
        str | None, typer.Option(help="Only this member (email), token (name) or principal id.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="Actions starting with this (e.g. secrets).")
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(
            help="Only events about this member or token (granted, revoked, removed, made,"
            " rotated): email, token name or id."
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", help="Only this environment.", autocompletion=complete_env),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time on: ISO (UTC), or an age (24h, 7d).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Before this time: ISO (UTC), or an age (24h, 7d).")
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            min=0, max=5000, help="The newest this many events (up to 5000; 0: every event)."
        ),
    ] = 200,
    project: AuditProjectOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the newest audit events that match, oldest of them first.

    With --json, each event's time is as stored, to the microsecond in UTC (the table's is to
    the second): --until one event's time lists the events before it.

    Example: envkeep audit --action secrets --env prod --since 2026-11-01 (or --since 7d);
    envkeep audit --subject bob@example.com (what was granted to, or taken from, bob);
    envkeep audit --project shop (a project's events, for its admin)
    """
    if ctx.invoked_subcommand is not None:
        return
    since, until = (audit.time_bound(t) if t else None for t in (since, until))
    client = make_context()
    target = f"{project or client.project_file.project}/{env}" if env else None
    asked = AuditQuery(
        limit=limit,
        principal=principal,
        action=action,
        target=target,
        since=since,
        until=until,
        newest=limit > 0,
        subject=subject,
    )
    pages = audit.query_pages(client, audit.in_project(client, asked, project))
    stream = _checked(pages, subject=subject, project=project)
    if json_out:
        # `at` to the microsecond, as stored: to the second, `--until` an event's time passed
        # over the events before it in the same second
        streamed.print_json_items(
            output.utc_times(e.__dict__ | audit.labels(e, page.names), exact=True)
            for page in stream
            for e in page.events
        )
        return
    given = {"--principal": principal, "--subject": subject, "--action": action, "--env": env}
    given |= {"--since": since, "--until": until}
    rows = ([_row(e, page.names) for e in page.events] for page in stream)
    streamed.print_table_pages(
        COLUMNS, rows, empty=lambda: _none_match(client, given, project, env)
    )


def _checked(
    pages: Iterable[EventPage], *, subject: str | None, project: str | None
) -> Iterator[EventPage]:
    """``pages``, each checked before it is printed: with --subject, that the server
    filtered it (one older than --subject ignores it); the first, whether the server limited
    them to a project (`_say_limited`)."""
    for number, page in enumerate(pages):
        if number == 0:
            _say_limited(page.project, project)
        if subject:
            audit.refuse_unfiltered(page.events)
        yield page


def _none_match(
    client: ClientContext, given: dict[str, str | None], project: str | None, env: str | None
) -> str:
    """What to say when no event matches the filters ``given``."""
    filters = ", ".join(f"{flag} {value}" for flag, value in given.items() if value)
    empty = (
        f"no events match {filters} (actions are named like secrets.write, member.grant;"
        " a principal by email or token name)"
        if filters
        else "no events"
    )
    return empty + _unknown_env_note(client, project, env) if env else empty


# Whom an event is about (SUBJECT: a member granted, a token made) has a column of its own, as
# --json has `subject`: written after the target, the two read as one name. A rotation's is the
# token it rotated out (--json's `replaced`), which is what a reader looks for.
COLUMNS = ("SEQ", "TIME", "WHO", "ACTION", "TARGET", "SUBJECT", "OUTCOME")


def _unknown_env_note(client: ClientContext, project: str | None, env: str) -> str:
    """For an --env that matched nothing and is no environment of the project now: which one
    was likely meant (a deleted one's events would have matched: nothing to add then)."""
    from envkeep.app.not_found import close_to
    from envkeep.core.did_you_mean import did_you_mean
    from envkeep.core.errors import EnvkeepError

    try:
        names = [
            e.name for e in client.backend.list_environments(project or client.project_file.project)
        ]
    except EnvkeepError:
        return ""
    if env in names:
        return ""
    clause = did_you_mean(close_to(env, names))
    meant = f": {clause}" if clause else f" (envs: {', '.join(names)})"
    return f"; there is no environment '{env}' now{meant}"


def _say_limited(limited_to: str | None, asked: str | None) -> None:
    """Say that the events are one project's, when the server chose it (the checkout's, for
    its admin): `audit` without --project reads as "every event" otherwise."""
    if limited_to is not None and asked is None:
        output.done(
            f"project {limited_to}'s events only (its admin's view; the whole trail is for the"
            " workspace's admins)"
        )


def _row(event: EventView, names: dict[str, str]) -> tuple[str, ...]:
    return (
        str(event.seq),
        output.moment(event.at),
        _who(event.principal_id, names),
        _action(event),
        event.target,
        audit.shown_subject(event, names),
        event.outcome,
    )


def _action(event: EventView) -> str:
    """The action, with the command a read was made for (``secrets.read (service add)``): an
    admin's `member grant` reads every environment it seals, which is no one reading prod."""
    via = via_command(event)
    return event.action if via is None else f"{event.action} ({via})"


def _who(principal_id: str | None, names: dict[str, str]) -> str:
    """A member's email or ``token NAME``; the id's start when the server named no one."""
    if principal_id is None:
        return "-"
    return names.get(principal_id) or principal_id[:8]


@audit_app.command("export")
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="jsonl (each field exactly) or csv (a cell that starts as a spreadsheet"
            " formula would gets a leading ').",
            autocompletion=complete_from(("jsonl", "csv")),
        ),
    ] = "jsonl",
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    project: AuditProjectOpt = None,
) -> None:
    """Export every event (all fields, hashes included, and who acted and whom it is about).

    Example: envkeep audit export --format csv -o audit.csv (--project shop: its events)
    """
    audit.check_format(fmt)
    if out is not None:
        refuse_existing(out, force=force)  # before the whole trail is fetched
    client = make_context()
    pages = audit.event_pages(client, audit.in_project(client, AuditQuery(limit=0), project))
    if out is None:
        limited = _export_pages(pages, fmt, sys.stdout.write)
        _say_limited(limited, project)
        return
    with atomic_writer(out, mode=0o600) as handle:  # a page at a time: a long trail is not held
        limited = _export_pages(pages, fmt, lambda text: handle.write(text.encode()))
    _say_limited(limited, project)
    output.done(f"wrote {out}")


def _export_pages(
    pages: Iterator[EventPage], fmt: str, write: Callable[[str], object]
) -> str | None:
    """Write each page of events as ``fmt`` (the CSV's header once); the project the server
    limited them to."""
    limited = None
    for number, page in enumerate(pages):
        write(audit.render_events(page.events, fmt, page.names, header=number == 0))
        limited = page.project
    return limited


@audit_app.command("verify")
def verify(
    forget_head: Annotated[
        int | None,
        typer.Option(
            "--forget-head",
            metavar="SEQ",
            help="After a restore from a backup only: accept a trail that lost the head this"
            " machine saw (event SEQ, as the BROKEN line names it), and remember the trail's"
            " head from now on.",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain here and report the first broken link (exit 1).

    The newest event seen is remembered (ENVKEEP_HOME/audit-heads.json), so a trail later
    cut short or rewritten is BROKEN too. A database restored from a backup cuts it short
    on purpose: --forget-head then accepts the trail as it is, and says what it gave up.

    Example: envkeep audit verify
    """
    result = audit.verify(make_context(), forget_head=forget_head)
    if result.broken_at is not None:
        output.done(f"BROKEN at event {result.broken_at}: {result.reason}")
        if result.rolled_back is not None:
            output.done(_rolled_back(result.rolled_back, forget_head))
        raise typer.Exit(1)
    output.done(f"intact: {output.counted(result.events, 'event')}, head {result.head[:16]}")
    if result.forgotten is not None:
        output.done(_forgot(result.forgotten, result.events))
    elif forget_head is not None:
        held = "still holds the head seen here before" if result.pinned else "had no head seen here"
        output.done(f"nothing forgotten: the trail {held}")


def _rolled_back(pinned: audit.PinnedHead, given: int | None) -> str:
    """What to do about a trail that lost the head seen here (a restore, or a rollback)."""
    wrong = (
        f"--forget-head {given} names no head seen here (it is event {pinned.seq}); "
        if given is not None
        else ""
    )
    return (
        f"{wrong}if the server's database was restored from a backup, that is expected: check"
        " with its operator, then accept the trail as it is now with: envkeep audit verify"
        f" --forget-head {pinned.seq}"
    )


def _forgot(pinned: audit.PinnedHead, events: int) -> str:
    gone = pinned.seq - events
    what = (
        f"{output.counted(gone, 'event')} seen here {'is' if gone == 1 else 'are'} gone"
        if gone > 0
        else f"event {pinned.seq} is not the one seen here"
    )
    return (
        f"warning: forgot the head seen here before (event {pinned.seq}, {pinned.hash[:16]}):"
        f" {what}. The trail is now trusted as the server shows it, and a rollback is"
        " caught again from this head on"
    )
