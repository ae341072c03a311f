"""`envkeep member sessions` and `envkeep member logout`: a member's login sessions, as a
workspace's admin sees and ends them (registered on `member_cmds.member_app`)."""

from __future__ import annotations

from typing import Annotated

import typer

from envkeep.cli import output, session_rows
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import make_context
from envkeep.client import member_sessions

EmailArg = Annotated[str, typer.Argument(help="The member's email.")]


def sessions(email: EmailArg, json_out: JsonOpt = False) -> None:
    """List a member's live login sessions. Each shows when and from which address it began,
    when it was last used (to within 5 minutes), the client it began with, and when it
    expires (never a token). For admins of every workspace the member is in. Times read
    relative to now (3h ago, in 29d); --json gives them exactly, and whole ids.

    Example: envkeep member sessions bob@example.com
    """
    found = member_sessions.member_sessions(make_context(), email)
    if json_out:
        output.print_json([output.utc_times(session) for session in found])
        return
    ids = session_rows.short_ids([str(s["id"]) for s in found])  # revoke takes the start
    rows = [
        (
            ids[str(s["id"])],
            session_rows.relative(s["created_at"]),
            s.get("created_from") or "-",  # not recorded for a session older than 0.2
            session_rows.used_ago(s.get("last_used_at")),
            session_rows.client(s.get("user_agent")),
            session_rows.relative(s["expires_at"]),
        )
        for s in found
    ]
    columns = ("SESSION", "CREATED", "FROM", "LAST USED", "CLIENT", "EXPIRES")
    output.print_table(columns, rows, empty=f"{email} has no live sessions")


def logout(
    email: EmailArg,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="End only this one: its id from envkeep member sessions, or the start of it.",
        ),
    ] = None,
) -> None:
    """Log a member out. Ends every one of their login sessions, or only --session (a stolen
    laptop, a leaked session file); their next request with it is refused and they log in
    again. Their account, keys and roles stay (member reset takes those too).

    Example: envkeep member logout bob@example.com --session 3f2a91bc
    """
    ctx = make_context()
    done = member_sessions.logout_member(ctx, email, session)
    if not done.ended:  # every one had ended or run out: nobody is logged out, nothing to redo
        output.done(
            f"{email} had no live sessions; nothing ended (envkeep member sessions {email})"
        )
        return
    output.done(
        f"ended {output.counted(done.ended, 'session')} of {email}; they log in again with:"
        f" envkeep login {ctx.server_url or 'URL'}"
    )
    output.done(_reset_advice(email, elsewhere=done.elsewhere))


def _reset_advice(email: str, *, elsewhere: bool | None) -> str:
    """What to do if the device may hold more than a session: a reset, which is refused while
    the member holds a role in another workspace (``elsewhere``; None: the server did not
    say), so then first their removal there (all the caller's: the logout went through)."""
    reset = f"envkeep member reset {email} --role ROLE"
    advice = (
        "their keys and roles stay: if that device may hold their passphrase or unlocked"
        " keys, reset the account too"
    )
    if not elsewhere:
        return f"{advice} ({reset})"
    return (
        f"{advice}: they hold roles in another of your workspaces, which a reset here refuses,"
        f" so first remove them there (envkeep workspace use NAME; envkeep member remove"
        f" {email}), then back in this one: {reset}"
    )
