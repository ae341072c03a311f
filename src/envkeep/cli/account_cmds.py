"""`envkeep join`, `login`, `logout`, `whoami`: accounts on a team server."""

from __future__ import annotations

import getpass
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
    """Accept an invite: create your account (keys made here) and log in.

    Example: envkeep join https://keep.example.com ek_inv_… --email bob@example.com
    """
    ctx = make_context()
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
