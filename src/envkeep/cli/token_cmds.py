"""`envkeep token …`: service accounts for CI and Kubernetes (ENVKEEP_TOKEN)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from envkeep.cli import output, session_rows
from envkeep.cli.options import JsonOpt, ProjectOpt, RevokeNowOpt, RoleEnvOpt, YesOpt
from envkeep.cli.state import asking, make_context
from envkeep.client import (
    signer_list,
    token_create,
    token_list,
    token_revocation,
    token_rotation,
)
from envkeep.core.timestamps import as_utc

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

# `token list`'s table; LAST USED as `session list` words it (`session_rows.used_ago`).
_COLUMNS = (
    *("TOKEN", "ROLE", "SCOPE", "CREATED BY", "CREATED"),
    *("LAST USED", "EXPIRES", "ENDED", "STATE"),
)

token_app = typer.Typer(help="Service-account tokens (team server).", no_args_is_help=True)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for it, e.g. ci.")],
    role: Annotated[str, typer.Option(help="read, write or admin (at most yours).")] = "read",
    project: ProjectOpt = None,
    env: RoleEnvOpt = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="Lifetime, e.g. 30d or 12h, or never (default: never, or the server's maximum"
            " lifetime where it sets one)."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a token; it is printed once: store it as ENVKEEP_TOKEN in your CI secrets.

    On stderr it also prints the ENVKEEP_SIGNERS to set beside it: the key fingerprints
    this machine trusts of you, of whoever can write at its scope and of whoever signed
    what it holds now (public, not secret). With --json, one document on stdout holds both
    (token, signers, signers_left_out, expires_at), for a script that stores them.

    Example: envkeep token create ci --project shop --env staging --role read --expires 30d
    """
    ctx = make_context(writes=True)
    project, env = ctx.role_scope(project, env)
    made = token_create.create_token(
        ctx, name, role, project=project, environment=env, expires=expires
    )
    covering = signer_list.covering_signers(ctx, project, env, made.signed)
    if json_out:
        output.print_json(
            output.utc_times(
                {
                    "name": name,
                    "token": made.token,
                    "role": role,
                    "project": project,
                    "environment": env,
                    "expires_at": made.expires_at,
                    "signers": signer_list.compact(covering.trusted.values()),
                    "signers_left_out": covering.unpinned,
                }
            )
        )
        output.done("shown once: keep the token as ENVKEEP_TOKEN, the signers as ENVKEEP_SIGNERS")
        return
    sys.stdout.write(made.token + "\n")
    output.done(_keep_it(ctx, project))
    output.done(_expiry(made.expires_at, expires, at_maximum=made.at_maximum))
    _suggest_signers(covering)


def _keep_it(ctx: ClientContext, project: str | None) -> str:
    """Where the token goes: ENVKEEP_SERVER too, unless a checkout's envkeep.toml names the
    server (this one does: a job in a checkout of it needs ENVKEEP_TOKEN alone)."""
    from envkeep.client.token_server import checkout_names_server

    if checkout_names_server(ctx, project):
        return (
            "shown once: keep it as ENVKEEP_TOKEN where it is needed; in a checkout of"
            f" {ctx.project_file.project} no ENVKEEP_SERVER is needed (envkeep.toml names"
            " the server)"
        )
    return (
        "shown once: keep it as ENVKEEP_TOKEN where it is needed, with"
        f" ENVKEEP_SERVER={ctx.server_url} where no envkeep.toml names that server"
    )


def _suggest_signers(found: signer_list.CoveringSigners) -> None:
    """The ENVKEEP_SIGNERS that lets the token's reads trust no signer blindly (public keys'
    fingerprints: nothing secret), and the writers it leaves out."""
    value = signer_list.compact(found.trusted.values())
    check = "what 'envkeep whoami --fingerprint' shows each of them, once checked with them"
    if not found.writers_known:
        output.done(
            f"set ENVKEEP_SIGNERS={value} beside it (your key), and add to it, for each member"
            f" who can write there, {check} (the member list could not be read)"
        )
        return
    output.done(
        f"set ENVKEEP_SIGNERS={value} beside it: its reads then trust only the keys this"
        f" machine trusts of {', '.join(found.trusted)} (who write there or wrote what is there),"
        " none on first use"
    )
    if found.unpinned:
        output.done(
            "left out of ENVKEEP_SIGNERS, as no key of theirs was pinned here before:"
            f" {', '.join(found.unpinned)}; add {check}"
        )


def _expiry(expires_at: str | None, lifetime: str | None, *, at_maximum: bool = False) -> str:
    """When a token made now expires: ``lifetime`` (``30d``; None: a rotated token's
    predecessor's) from now, the server's maximum lifetime (``at_maximum``), or never."""
    if expires_at is None:
        return "it never expires (give it a lifetime with --expires, e.g. 30d)"
    if at_maximum:
        return f"it expires at {output.moment(expires_at)}, the server's maximum lifetime from now"
    since = f", {lifetime} from now" if lifetime else " (the old token's lifetime, from now)"
    return f"it expires at {output.moment(expires_at)}{since}"


@token_app.command("list")
def list_(
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"Also the tokens that ended (revoked or rotated out) more than"
            f" {token_list.ENDED_SHOWN_DAYS} days ago.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """List the workspace's tokens: live ones, and those that ended in the last 30 days.
    Each shows when it was last used, to within 5 minutes (-: no use recorded; servers
    record it since schema 0015). Times read relative to now (3h ago, in 29d); --json gives
    them exactly.

    A name given again (by token rotate, or to a new token after a revoke) shows on a row for
    each token that held it, oldest first, with when it was created and ended; token revoke
    and token rotate act on the one that holds it now. In --json, principal.id tells them
    apart.

    Example: envkeep token list --all
    """
    found = token_list.list_tokens(make_context())
    now = datetime.now(UTC)
    shown, hidden = (found, 0) if show_all else token_list.recent_tokens(found, now)
    if json_out:
        output.print_json([output.utc_times(token) for token in shown])
    else:
        empty = "no live or recently ended tokens" if hidden else "no tokens"
        output.print_table(_COLUMNS, [_row(t, now) for t in shown], empty=empty)
    if hidden:
        output.done(
            f"{output.counted(hidden, 'token')} that ended over {token_list.ENDED_SHOWN_DAYS} days"
            " ago not shown: envkeep token list --all"
        )
    _warn_over_maximum(shown)


def _warn_over_maximum(shown: list[dict[str, Any]]) -> None:
    """Name the live tokens made to outlive the server's maximum lifetime (before it was
    set): they keep working; a rotation gives each a lifetime within it."""
    over = sorted({str(t["label"]) for t in shown if t.get("over_maximum") is True})
    if over:
        first = over[0]
        output.done(
            f"{', '.join(over)}: {'exceeds' if len(over) == 1 else 'exceed'} the server's"
            f" maximum lifetime (made before it was set); rotate to bring under it:"
            f" envkeep token rotate {first if len(over) == 1 else 'NAME'}"
        )


def _row(token: dict[str, Any], now: datetime) -> tuple[str, ...]:
    """A token's row in `token list`: an ended one does not expire any more, and keeps its
    last use."""
    expires = session_rows.relative(token["expires_at"], now) if token["expires_at"] else "never"
    return (
        token["label"],
        token["role"] or "-",
        _scope(token),
        token.get("created_by") or "-",
        session_rows.relative(token.get("created_at"), now),
        _last_use(token, now),
        "-" if token["revoked"] else expires,
        session_rows.relative(token.get("ended_at"), now),
        _state(token, now),
    )


def _last_use(token: dict[str, Any], now: datetime) -> str:
    """As `session list` words it; ``-`` where no use is recorded: servers before 0.2's
    schema 0015 recorded none, so a token used only before the upgrade has none, and "never"
    would be untrue of it (an older server does not send the field at all)."""
    used = token.get("last_used_at")
    return session_rows.used_ago(used, now) if used else "-"


def _state(token: dict[str, Any], now: datetime) -> str:
    if token["revoked"]:
        return str(token.get("ended") or "revoked")  # or "rotated out"
    expired = token["expires_at"] and as_utc(str(token["expires_at"])) <= now
    if expired:
        return "expired"
    return "active, over max" if token.get("over_maximum") is True else "active"


def _scope(token: dict[str, object]) -> str:
    """Where its role applies; ``-`` for a token with no role (revoked, or its role taken)."""
    if not token["role"]:
        return "-"
    return "/".join(str(p) for p in (token["project"], token["environment"]) if p) or "workspace"


@token_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The name of the live token to end.")],
    revoke_now: RevokeNowOpt = False,
    yes: YesOpt = False,
) -> None:
    """End a token and rotate the keys of every environment it could read. It says first
    which tokens end with it and which keys it rotates, and asks (--yes: do not ask).

    Its creator may revoke it too, without being an admin: it stops working at once, and the
    keys of environments you are no admin of are named for an admin to rotate.

    Example: envkeep token revoke ci --yes
    """
    ctx = make_context(writes=True)
    asked = asking(ctx.settings, yes=yes)
    revoked = token_revocation.revoke_token(ctx, name, now=revoke_now, confirm=asked)
    also = revoked.ended("its").removeprefix("revoked ")
    if not revoked.left:
        output.done(f"revoked '{name}'{' and ' + also if also else '; '}{revoked.keys()}")
        return
    they = "they" if also else "it"
    keys = f"; {revoked.keys()}" if revoked.rotated else ""
    output.done(
        f"revoked '{name}'{' and ' + also.removesuffix('; ') if also else ''}; {they}"
        f" stopped working now{keys}"
    )
    output.done(_left_for_admin(revoked.left))


def _left_for_admin(left: tuple[tuple[str, str], ...]) -> str:
    """What a creator who is no admin there leaves undone, and the commands that do it."""
    names = ", ".join(f"{p}/{e}" for p, e in left)
    commands = "; ".join(f"envkeep env rotate-key {e} --project {p}" for p, e in left)
    one = len(left) == 1
    return (
        f"you are not an admin of {names}, so {'its key was' if one else 'their keys were'} not"
        f" rotated: until an admin rotates {'it' if one else 'them'}, the old"
        f" {'key opens' if one else 'keys open'} values written there to whoever kept a copy;"
        f" ask an admin to run: {commands}"
    )


@token_app.command("rotate")
def rotate(
    name: Annotated[str, typer.Argument(help="The name of the live token to replace.")],
    expires: Annotated[
        str | None,
        typer.Option(
            help="Lifetime from now, e.g. 30d, or never (default: the old token's lifetime,"
            " counted from now, at most the server's maximum lifetime where it sets one)."
        ),
    ] = None,
) -> None:
    """Replace a token by a new one (same name, roles and scopes); the old one stops at once.

    The new token is printed once. The keys of every environment the old one could read are
    rotated, as by token revoke. token list shows the old one as rotated out.

    Examples: envkeep token rotate ci --expires 30d; envkeep token rotate ci --expires never
    """

    def show(minted: token_rotation.Minted) -> None:
        sys.stdout.write(minted.token + "\n")
        sys.stdout.flush()
        output.done(f"rotated '{name}': the old token no longer works")
        output.done("shown once: replace ENVKEEP_TOKEN with it wherever the old one is used")
        if minted.known:
            output.done(_expiry(minted.expires_at, expires, at_maximum=minted.at_maximum))

    rotated = token_rotation.rotate_token(
        make_context(writes=True), name, expires=expires, show=show
    )
    output.done(f"new keys for: {', '.join(rotated) or 'no environment'}")
