"""`envkeep join`, `login`, `logout`, `whoami`: accounts on a team server."""

from __future__ import annotations

import getpass
from dataclasses import replace
from typing import Annotated

import typer

from envkeep.cli import output, session_rows
from envkeep.cli.options import JsonOpt, YesOpt
from envkeep.cli.state import answered, confirm, interactive, make_context
from envkeep.client import (
    accounts,
    passphrase_change,
    recovered_edits,
    server_urls,
    sessions,
    workspaces,
)
from envkeep.client.identity import MIN_PASSPHRASE
from envkeep.core.errors import UsageError
from envkeep.settings import Settings

EmailOpt = Annotated[str | None, typer.Option(help="Your email (asked on a terminal).")]


def _email(settings: Settings, email: str | None) -> str:
    if email:
        return email
    if not interactive(settings):
        raise UsageError("no email given", hint="pass --email")
    with answered():
        return str(typer.prompt("Email"))


def _passphrase(settings: Settings, *, new: bool, label: str = "Passphrase") -> str:
    """The passphrase from ENVKEEP_PASSPHRASE or a prompt; a ``new`` one asked twice and held
    to the same floor whichever way it came (the server keeps the keys wrapped under it)."""
    if settings.passphrase:
        given = settings.passphrase
    elif not interactive(settings):
        raise UsageError("no passphrase", hint="set ENVKEEP_PASSPHRASE, or run in a terminal")
    else:
        given = getpass.getpass(f"{label}: ")
        _check_length(given, new=new)  # before asking for it again
        if new and getpass.getpass(f"Repeat the {label.lower()}: ") != given:
            raise UsageError("the two passphrases differ")
    _check_length(given, new=new)
    return given


def _check_length(given: str, *, new: bool) -> None:
    if new and len(given) < MIN_PASSPHRASE:
        raise UsageError(
            f"a passphrase needs at least {MIN_PASSPHRASE} characters",
            hint="a few unrelated words make a long one that is easy to type",
        )


def join(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://keep.example.com.")],
    code: Annotated[str, typer.Argument(help="The invite code (ek_inv_…).")],
    email: EmailOpt = None,
) -> None:
    """Accept an invite: create your account (keys made here) and log in. Logged in to that
    server already, you join the invite's workspace with the account you have.

    Example: envkeep join https://keep.example.com ek_inv_… --email bob@example.com
    """
    _warn_if_cleartext(url)
    ctx = make_context()
    current = accounts.load_session(ctx.settings)
    if (
        current is not None
        and current.url == server_urls.normalise_url(url)
        and (email is None or email.lower() == current.email.lower())
    ):
        joined = accounts.join_workspace(ctx.settings, current, code)
        output.done(
            f"{current.email} joined workspace '{joined.name}' on {current.url}; commands now"
            " act in it (back to another: envkeep workspace use NAME)"
        )
        _note_keys_pending(current)
        return
    address = _email(ctx.settings, email)
    same_server = current is not None and current.url == server_urls.normalise_url(url)
    if current is not None and same_server and current.email.lower() != address.lower():
        # One login per server and ENVKEEP_HOME: the new account's would replace this one's.
        raise UsageError(
            f"you are logged in to {current.url} as {current.email} here",
            hint=f"log out first (envkeep logout), or join as {address} with another ENVKEEP_HOME",
        )
    session = accounts.join(
        ctx.settings, url, code, email=address, passphrase=_passphrase(ctx.settings, new=True)
    )
    output.done(f"welcome, {session.email}: logged in to {session.url}")
    _note_keys_pending(session)


def _note_keys_pending(session: accounts.ServerSession) -> None:
    """After a join: when the roles joined come without their keys yet (an admin's `member
    seal` seals them), say so, with the fingerprint they may ask to compare; the first read
    would otherwise be the first word of it. The account's, on the server joined, wherever it
    runs: in a checkout on the embedded store, the local identity is no one's to compare (and
    was made there, protected by the passphrase of the join)."""
    from envkeep.client.member_seal import seal_command
    from envkeep.client.members import list_members
    from envkeep.core.errors import EnvkeepError
    from envkeep.settings import load_settings

    email = session.email
    try:
        ctx = make_context(replace(load_settings(), server=session.url))
        me = ctx.identity.principal_id
        mine = [row for row in list_members(ctx) if row["principal"]["id"] == me]
        fingerprint = ctx.identity.record.public.fingerprint()
    except EnvkeepError:  # the join is done; this note is no reason to fail it
        return
    if not any(row.get("keys_missing") for row in mine):
        return
    output.done(
        f"note: your role's keys are not sealed to you yet: an admin runs {seal_command(email)}"
        f" for them; your key's fingerprint, if they ask to compare: {fingerprint}"
    )


def login(
    url: Annotated[str, typer.Argument(help="The server, e.g. https://keep.example.com.")],
    email: EmailOpt = None,
) -> None:
    """Log in to a team server (your passphrase never leaves this machine).

    Example: envkeep login https://keep.example.com --email bob@example.com
    """
    _warn_if_cleartext(url)
    ctx = make_context()
    address = _email(ctx.settings, email)
    previous = accounts.load_session(ctx.settings)
    session = accounts.login(
        ctx.settings, url, email=address, passphrase=_passphrase(ctx.settings, new=False)
    )
    output.done(f"logged in to {session.url} as {session.email}")
    if previous is not None and previous.token != session.token:
        ended = accounts.end_replaced(previous)
        gone = "ended" if ended else "could not be ended (end it later with: envkeep session list)"
        output.done(f"the session it replaces ({previous.email} on {previous.url}) {gone}")


def _warn_if_cleartext(url: str) -> None:
    """A warning, not a refusal: a LAN test server without TLS is a fair choice to make."""
    warning = server_urls.cleartext_warning(url)
    if warning is not None:
        output.done(warning)


def logout(yes: YesOpt = False) -> None:
    """End your session on the team server. Kept buffers of edits that could not be applied
    (values in clear) are deleted too: you are asked first, or pass --yes.

    Example: envkeep logout
    """
    settings = make_context().settings
    _confirm_buffers_go(settings, yes=yes)
    done = accounts.logout(settings)
    _forget_buffers(settings)
    if done is None:
        output.done("you were not logged in")
        return
    if done.keys_removed:
        output.done(f"logged out of {done.url}; the account's keys on this machine are removed")
    else:
        output.done(f"logged out of {done.url}; {_KEYRING_KEPT}")
    if not done.server_told:
        why = (  # a proxy's 401 is no "could not be reached": it answered, envkeep did not
            f"the server was not told ({done.refusal})"
            if done.refusal
            else f"{done.url} could not be reached"
        )
        output.done(
            f"warning: {why}, so the session stays valid there until it expires; after your"
            " next login, end it with: envkeep session list, then envkeep session revoke ID"
        )


def _confirm_buffers_go(settings: Settings, *, yes: bool) -> None:
    """Before a logout: the kept buffers of failed edits are deleted with it (values in clear),
    so a user who has not applied one is asked first (or told, without a terminal, and nothing
    changes); --yes goes ahead."""
    kept = recovered_edits.recovered_buffers(settings.home)
    if not kept or yes:
        return
    files = ", ".join(str(path) for path in kept)
    what = f"{output.counted(len(kept), 'kept edit buffer')} (values in clear) would be deleted"
    apply = f"apply it first with: envkeep edit --from {kept[0]}"
    if not interactive(settings):
        raise UsageError(
            f"{what}: {files}; nothing changed",
            hint=f"{apply}; or pass --yes to delete {'it' if len(kept) == 1 else 'them'}"
            " and log out",
        )
    output.done(f"{what}: {files}")
    output.done(apply)
    confirm(settings, "Delete and log out?", yes=False)


def _forget_buffers(settings: Settings) -> None:
    """A logout deletes the kept edit buffers too: values in clear, whichever store."""
    buffers = recovered_edits.forget_recovered_buffers(settings.home)
    if buffers:
        output.done(
            f"deleted {output.counted(buffers, 'kept edit buffer')} (values in clear) from the"
            " recovered directory"
        )


_KEYRING_KEPT = (
    "warning: the OS keyring would not remove the account's keys (service 'envkeep'): remove"
    " them with your keyring's own tool"
)


account_app = typer.Typer(help="Your account on the team server.", no_args_is_help=True)
session_app = typer.Typer(help="Your login sessions.", no_args_is_help=True)
workspace_app = typer.Typer(help="Workspaces (tenants) you belong to.", no_args_is_help=True)


@account_app.command("passphrase")
def passphrase() -> None:
    """Change your passphrase (keys re-wrapped here); every other session ends.

    Without a terminal, ENVKEEP_PASSPHRASE is the current one and ENVKEEP_NEW_PASSPHRASE the
    new one.

    Example: envkeep account passphrase
    """
    ctx = make_context()
    settings = ctx.settings
    if not interactive(settings) and not (settings.passphrase and settings.new_passphrase):
        raise UsageError(
            "changing a passphrase needs both passphrases",
            hint="set ENVKEEP_PASSPHRASE (the current one) and ENVKEEP_NEW_PASSPHRASE, or run"
            " it in a terminal to be asked",
        )
    current = settings.passphrase or getpass.getpass("Current passphrase: ")
    proof = passphrase_change.prove_passphrase(settings, current)
    asked = replace(settings, passphrase=settings.new_passphrase)
    new = _passphrase(asked, new=True, label="New passphrase")
    ended = passphrase_change.change_passphrase(ctx.settings, proof, new=new)
    output.done(f"passphrase changed; {output.counted(ended, 'other session')} ended")


@session_app.command("list")
def session_list(json_out: JsonOpt = False) -> None:
    """List your live login sessions. Each shows when and from which address it began, when
    it was last used (to within 5 minutes), the client it began with, and when it expires;
    THIS ONE is this machine's. End one you do not know with envkeep session revoke ID.
    Times read relative to now (3h ago, in 29d); --json gives them exactly, and whole ids.

    Example: envkeep session list
    """
    found = sessions.list_sessions(make_context().settings)
    if json_out:
        output.print_json([output.utc_times(session) for session in found])
        return
    ids = session_rows.short_ids([str(s["id"]) for s in found])  # revoke takes the start
    rows = [
        (
            ids[str(s["id"])],
            session_rows.relative(s["created_at"]),
            s.get("created_from") or "-",  # none from an older server, or an older session
            session_rows.used_ago(s.get("last_used_at")),
            session_rows.client(s.get("user_agent")),
            session_rows.relative(s["expires_at"]),
            "yes" if s["current"] else "",
        )
        for s in found
    ]
    columns = ("SESSION", "CREATED", "FROM", "LAST USED", "CLIENT", "EXPIRES", "THIS ONE")
    output.print_table(columns, rows, empty="no sessions")


@session_app.command("revoke")
def session_revoke(
    session_id: Annotated[
        str, typer.Argument(help="Its id from envkeep session list, or the start of it.")
    ],
    yes: YesOpt = False,
) -> None:
    """End one of your sessions (another device, say). Ending this machine's own session
    logs you out here, as envkeep logout does (and asks first, as it does).

    Example: envkeep session revoke 3f2a91bc
    """
    settings = make_context().settings
    ended = sessions.revoke_session(
        settings, session_id, before_own=lambda: _confirm_buffers_go(settings, yes=yes)
    )
    output.done(f"session {ended.session_id} ended")
    done = ended.logged_out
    if done is None:
        return
    _forget_buffers(settings)
    output.done(
        "that was this machine's session: logged out, as envkeep logout does; log in again"
        f" with: envkeep login {done.url}"
    )
    if not done.keys_removed:
        output.done(_KEYRING_KEPT)


@workspace_app.command("list")
def workspace_list(json_out: JsonOpt = False) -> None:
    """List your workspaces; the one in use is marked.

    Example: envkeep workspace list
    """
    current, found = workspaces.workspaces(make_context().settings)
    if json_out:
        output.print_json([w | {"current": w["id"] == current} for w in found])
        return
    rows = [
        ("*" if w["id"] == current else "", w["name"], workspaces.role_words(w), w["id"])
        for w in found
    ]
    output.print_table(("", "WORKSPACE", "ROLE", "ID"), rows, empty="no workspaces")
    if current is not None and found and all(w["id"] != current for w in found):
        output.done(
            f"note: the workspace in use ({current}) is not one of yours any more (no role"
            " there); choose one: envkeep workspace use NAME"
        )


@workspace_app.command("create")
def workspace_create(name: Annotated[str, typer.Argument(help="Its name.")]) -> None:
    """Create a workspace (a separate tenant) with you as its admin.

    Example: envkeep workspace create acme-staging
    """
    created = workspaces.create_workspace(make_context().settings, name)
    output.done(
        f"created workspace '{created['name']}'; switch to it: envkeep workspace use {name}"
    )


@workspace_app.command("use")
def workspace_use(name: Annotated[str, typer.Argument(help="A workspace name or id.")]) -> None:
    """Act in another of your workspaces from now on.

    Example: envkeep workspace use acme-staging
    """
    chosen = workspaces.use_workspace(make_context().settings, name)
    output.done(f"now using workspace '{chosen['name']}'")
