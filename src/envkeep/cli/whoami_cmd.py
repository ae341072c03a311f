"""`envkeep whoami`: the account you are, and which identity signs here when that differs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.state import make_context
from envkeep.client import accounts, workspaces
from envkeep.client.whoami import WhoAmI, who_am_i
from envkeep.core.durations import about
from envkeep.core.timestamps import as_utc

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import IdentityRecord
    from envkeep.settings import Settings


def whoami(
    fingerprint: Annotated[
        bool, typer.Option("--fingerprint", help="Show your key fingerprint.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Show who you are on the server you are logged in to (or locally). In a checkout whose
    project is on this machine's embedded store, the local identity that signs its values is
    shown apart, as 'local …'.

    Example: envkeep whoami --fingerprint
    """
    ctx = make_context()
    who = who_am_i(ctx)
    info = _account(ctx, who, fingerprint=fingerprint)
    if fingerprint:
        info["fingerprint"] = who.me.public.fingerprint()
    info["store_here"] = "embedded" if who.embedded_here else "server"
    local = _local(who, fingerprint=fingerprint)
    if json_out:
        output.print_json(info if local is None else info | {"local_identity": local})
        return
    del info["store_here"]
    if who.session is None:  # the local identity: a name for history, not an email
        shown = {"server": "- (not logged in)", "name": f"{who.me.name} (this machine's)"}
        info = shown | {k: v for k, v in info.items() if k not in {"server", "email"}}
        info.pop("workspace_id", None)
    if "expires_at" in info:
        info["expires_at"] = _expiry_text(info["expires_at"])
    for key, value in info.items():
        output.say(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")
    if local is not None and who.session is not None:
        _say_embedded_here(ctx, who.session.url, local)


def _moment(expires_at: datetime | None) -> str | None:
    """When the token expires, as every --json writes a time; None for never."""
    return None if expires_at is None else output.moment(expires_at.isoformat())


def _expiry_text(expires_at: object) -> str:
    """The line's words: the moment and how far off it is, or never."""
    if not isinstance(expires_at, str):
        return "never"
    left = as_utc(expires_at) - datetime.now(UTC)
    if left.total_seconds() <= 0:
        return f"{expires_at} (expired)"
    return f"{expires_at} (in {about(left)})"


def _account(ctx: ClientContext, who: WhoAmI, *, fingerprint: bool) -> dict[str, object]:
    """The account's lines: the server's (its workspace names asked of it) or the local
    identity's, under the keys `whoami --json` has always had."""
    session = who.session
    info: dict[str, object] = {
        "server": session.url if session else None,
        "email": session.email if session else who.me.name,
        "principal_id": who.me.principal_id,
        "workspace_id": session.workspace_id if session else None,
    }
    if session is None:
        return info
    if ctx.settings.token:  # a token: its name, not "service account", and when it expires
        named = {"server": info["server"], "token": accounts.token_name(session)}
        named |= {k: v for k, v in info.items() if k not in {"server", "email"}}
        token = ctx.token_identity
        if token is None or not token.says_expiry:  # a server from before it said: not shown
            return named
        return named | {"expires_at": _moment(token.expires_at)}
    # The server says whether the login holds; --fingerprint asks for what is kept here
    names = _workspace_names(ctx.settings, saved_enough=fingerprint)
    if names is None:
        return info
    if session.workspace_id in names:
        info["workspace"] = names[session.workspace_id]
    here = ctx.workspace_id if ctx.server_url == session.url else None
    if here is not None and here != session.workspace_id:  # envkeep.toml pins another
        info["workspace_here"] = f"{names.get(here, here)} (envkeep.toml's, for this project)"
    _warn_no_role(names, {session.workspace_id, here})
    return info


def _local(who: WhoAmI, *, fingerprint: bool) -> dict[str, object] | None:
    """The local identity, when logged in in a checkout on the embedded store; None else."""
    if who.session is None or not who.embedded_here:
        return None
    record: IdentityRecord | None = who.local  # None: not made on this machine yet
    shown: dict[str, object] = {
        "name": record and record.name,
        "principal_id": record and record.principal_id,
    }
    if fingerprint:
        shown["fingerprint"] = record and record.public.fingerprint()
    return shown


def _say_embedded_here(ctx: ClientContext, url: str, local: dict[str, object]) -> None:
    """The embedded store's lines, each labelled 'local': its identity is not the account."""
    project = ctx.project_file.project
    output.say(
        f"store here: embedded (envkeep.toml names no server): project '{project}' is kept on"
        f" this machine, not on {url}"
    )
    name = local["name"]
    output.say(
        f"local name: {name} (this machine's identity, which signs the values here)"
        if name is not None
        else "local name: - (none yet: made on first use here)"
    )
    for key in ("principal_id", "fingerprint"):
        if key in local:
            value = local[key]
            output.say(f"local {key.replace('_', ' ')}: {value if value is not None else '-'}")


def _warn_no_role(names: dict[str, str], in_use: set[str | None]) -> None:
    """A warning for each workspace in use here that the account holds no role in (any more):
    `whoami` would otherwise show a removed member nothing amiss."""
    for workspace in sorted(w for w in in_use if w is not None and w not in names):
        output.done(
            f"warning: you hold no role in workspace {workspace}, which is in use here (removed"
            " from it, or never granted one): its reads are refused; ask one of its admins, or"
            " see yours: envkeep workspace list"
        )


def _workspace_names(settings: Settings, *, saved_enough: bool) -> dict[str, str] | None:
    """Your workspaces' names by id, asked of the server: an ended session fails here (as the
    next command would), and so does something other than envkeep answering at its URL (a
    proxy's 401/403: the login is neither shown to hold nor to have ended); an unreachable
    server gives None, with a warning (what is saved here is shown, not checked).
    ``saved_enough`` (`--fingerprint`): what is asked is this machine's key, read out for a
    check by voice, so something else answering is a warning too, not the command's end."""
    from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError

    try:
        _active, listed = workspaces.workspaces(settings)
    except UnreachableError as error:
        if isinstance(error, NotAnEnvkeepRoute) and not saved_enough:
            raise
        output.done(f"warning: {error.message}; shown as saved here, not checked")
        return None
    return {w["id"]: w["name"] for w in listed}
