"""`envkeep join`, `login`, `logout`, `whoami`: accounts on a team server."""

from __future__ import annotations

import getpass
from dataclasses import replace
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import interactive, make_context
from envkeep.client import accounts
from envkeep.core.errors import UsageError
from envkeep.settings import Settings

EmailOpt = Annotated[str | None, typer.Option(help="Your email (asked on a terminal).")]


def _email(settings: Settings, email: str | None) -> str:
    if email:
        return email
    if not interactive(settings):
        raise UsageError("no email given", hint="pass --email")
    return str(typer.prompt("Email"))


def _passphrase(settings: Settings, *, new: bool) -> str:
    if settings.passphrase:
        return settings.passphrase
    if not interactive(settings):
        raise UsageError("no passphrase", hint="set ENVKEEP_PASSPHRASE, or run in a terminal")
    first = getpass.getpass("Passphrase: ")
    if new and getpass.getpass("Repeat it: ") != first:
        raise UsageError("the two passphrases differ")
    if new and len(first) < 8:
        raise UsageError("a passphrase needs at least 8 characters")
    return first


def join(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://keep.example.com.")],
    code: Annotated[str, typer.Argument(help="The invite code (ek_inv_…).")],
    email: EmailOpt = None,
) -> None:
    """Accept an invite: create your account (keys made here) and log in. Logged in to that
    server already, you join the invite's workspace with the account you have.

    Example: envkeep join https://keep.example.com ek_inv_… --email bob@example.com
    """
    ctx = make_context()
    current = accounts.load_session(ctx.settings)
    if (
        current is not None
        and current.url == accounts.normalise_url(url)
        and (email is None or email.lower() == current.email.lower())
    ):
        joined = accounts.join_workspace(ctx.settings, current, code)
        output.done(
            f"{current.email} joined workspace '{joined.name}' on {current.url}; commands now"
            " act in it (back to another: envkeep workspace use NAME)"
        )
        return
    address = _email(ctx.settings, email)
    session = accounts.join(
        ctx.settings, url, code, email=address, passphrase=_passphrase(ctx.settings, new=True)
    )
    output.done(f"welcome, {session.email}: logged in to {session.url}")


def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://keep.example.com.")],
    email: EmailOpt = None,
) -> None:
    """Log in to a team server (your passphrase never leaves this machine).

    Example: envkeep login https://keep.example.com --email bob@example.com
    """
    ctx = make_context()
    address = _email(ctx.settings, email)
    session = accounts.login(
        ctx.settings, url, email=address, passphrase=_passphrase(ctx.settings, new=False)
    )
    output.done(f"logged in to {session.url} as {session.email}")


def logout() -> None:
    """End your session on the team server.

    Example: envkeep logout
    """
    url = accounts.logout(make_context().settings)
    output.done(f"logged out of {url}" if url else "you were not logged in")


def whoami(
    fingerprint: Annotated[
        bool, typer.Option("--fingerprint", help="Show your key fingerprint.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Show who you are on the server you are logged in to (or locally).

    Example: envkeep whoami --fingerprint
    """
    ctx = make_context()
    session = ctx.session
    record = ctx.identity.record
    info: dict[str, object] = {
        "server": session.url if session else None,
        "email": session.email if session else record.name,
        "principal_id": record.principal_id,
        "workspace_id": session.workspace_id if session else None,
    }
    if fingerprint:
        info["fingerprint"] = record.public.fingerprint()
    if json_out:
        output.print_json(info)
        return
    for key, value in info.items():
        output.say(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")


account_app = typer.Typer(help="Your account on the team server.", no_args_is_help=True)
session_app = typer.Typer(help="Your login sessions.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces (tenants) you belong to.", no_args_is_help=True)


@account_app.command("passphrase")
def passphrase() -> None:
    """Change your passphrase (keys re-wrapped here); every other session ends.

    Example: envkeep account passphrase
    """
    ctx = make_context()
    if not interactive(ctx.settings):
        raise UsageError("changing a passphrase needs a terminal", hint="run it interactively")
    current = getpass.getpass("Current passphrase: ")
    new = _passphrase(replace(ctx.settings, passphrase=None), new=True)
    ended = accounts.change_passphrase(ctx.settings, current=current, new=new)
    output.done(f"passphrase changed; {ended} other sessions ended")


@session_app.command("list")
def session_list(json_out: JsonOpt = False) -> None:
    """List your sessions.

    Example: envkeep session list
    """
    found = accounts.list_sessions(make_context().settings)
    if json_out:
        output.print_json(found)
        return
    rows = [
        (
            s["id"],
            s["created_at"][:19],
            (s["expires_at"] or "-")[:19],
            "yes" if s["current"] else "",
        )
        for s in found
    ]
    output.print_table(("SESSION", "CREATED", "EXPIRES", "THIS ONE"), rows, empty="no sessions")


@session_app.command("revoke")
def session_revoke(
    session_id: Annotated[str, typer.Argument(help="From envkeep session list.")],
) -> None:
    """End one of your sessions (another device, say).

    Example: envkeep session revoke 3f2a…
    """
    accounts.revoke_session(make_context().settings, session_id)
    output.done("session ended")


@workspace_app.command("list")
def workspace_list(json_out: JsonOpt = False) -> None:
    """List your workspaces; the one in use is marked.

    Example: envkeep workspace list
    """
    current, found = accounts.workspaces(make_context().settings)
    if json_out:
        output.print_json([w | {"current": w["id"] == current} for w in found])
        return
    rows = [("*" if w["id"] == current else "", w["name"], w["id"]) for w in found]
    output.print_table(("", "WORKSPACE", "ID"), rows, empty="no workspaces")


@workspace_app.command("create")
def workspace_create(name: Annotated[str, typer.Argument(help="Its name.")]) -> None:
    """Create a workspace (a separate tenant) with you as its admin.

    Example: envkeep workspace create acme-staging
    """
    created = accounts.create_workspace(make_context().settings, name)
    output.done(
        f"created workspace '{created['name']}'; switch to it: envkeep workspace use {name}"
    )


@workspace_app.command("use")
def workspace_use(name: Annotated[str, typer.Argument(help="A workspace name or id.")]) -> None:
    """Act in another of your workspaces from now on.

    Example: envkeep workspace use acme-staging
    """
    chosen = accounts.use_workspace(make_context().settings, name)
    output.done(f"now using workspace '{chosen['name']}'")
