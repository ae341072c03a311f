"""`envkeep member …`: people, roles and their keys on a team server."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    JsonOpt,
    ProjectOpt,
    RevokeNowOpt,
    RoleEnvOpt,
    YesOpt,
    complete_from,
)
from envkeep.cli.state import asking, make_context
from envkeep.client import (
    member_invites,
    member_revocation,
    member_seal,
    member_verify,
    members,
    roster_reach,
)
from envkeep.client.principal_names import member_name, shown_member
from envkeep.core.errors import UsageError

member_app = typer.Typer(help="Members, roles and their keys (team server).", no_args_is_help=True)

RoleArg = Annotated[
    str,
    typer.Argument(
        help="admin, write or read.", autocompletion=complete_from(("admin", "write", "read"))
    ),
]


@member_app.command("invite")
def invite(
    email: Annotated[str, typer.Argument(help="Who to invite.")],
    role: Annotated[str, typer.Option(help="admin, write or read.")] = "read",
    project: ProjectOpt = None,
    env: RoleEnvOpt = None,
) -> None:
    """Make a one-time invite code (it expires in 3 days); once they join, seal them the keys.

    Example: envkeep member invite bob@example.com --role write --project shop
    """
    ctx = make_context()
    project, env = ctx.role_scope(project, env)
    code, replaced = member_invites.invite(ctx, email, role, project=project, environment=env)
    sys.stdout.write(code + "\n")
    output.done(
        f"send {email} this code; they run: envkeep join {ctx.server_url or 'URL'} CODE."
        f" Once they join, {member_seal.seal_command(email)} gives them the keys"
    )
    if replaced:
        earlier = "the earlier invite" if len(replaced) == 1 else "the earlier invites"
        output.done(f"it replaces {earlier} for {email} there, whose code no longer works")


@member_app.command("seal")
def seal(
    who: Annotated[
        list[str] | None,
        typer.Argument(help="Members' emails or tokens' names (none: everyone owed keys)."),
    ] = None,
) -> None:
    """Seal the data keys their roles open to members who hold none yet (someone who joined
    with an invite): each role is checked and sealed as member grant would, their key proved
    by the invite or pinned. It exits 1 only when someone named is left without a key.

    Example: envkeep member seal bob@example.com
    """
    done = member_seal.seal_missing(make_context(writes=True), who or ())
    _report(done)
    if done.failed:
        raise typer.Exit(1)


@member_app.command("grant")
def grant(
    who: Annotated[str, typer.Argument(help="The member's email, or a token's name.")],
    role: RoleArg,
    project: ProjectOpt = None,
    env: RoleEnvOpt = None,
    yes: YesOpt = False,
) -> None:
    """Give a role, sealing them a key share of every environment it opens. Lowering a role
    they hold at that scope asks first (--yes: do not ask): it revokes the tokens that
    depended on the higher role and rotates the keys those could read. A role that a broader
    one of theirs already gives as much as is warned of, and bound all the same (it applies
    once that one goes).

    Example: envkeep member grant bob@example.com write --project shop --env staging
    """
    ctx = make_context(writes=True)
    project, env = ctx.role_scope(project, env)
    asked = asking(ctx.settings, yes=yes)
    count, revoked = members.grant(
        ctx, who, role, project=project, environment=env, confirm_lowering=asked
    )
    ended = f"; {revoked.ended(_whose(who))}{revoked.keys()}" if revoked.tokens else ""
    where = "the workspace" if project is None else project if env is None else f"{project}/{env}"
    output.done(
        f"{who} now holds {role} on {where};"
        f" {output.counted(count, 'environment key')} shared with them{ended}"
    )


def _whose(who: str) -> str:
    return "their" if "@" in who else "its"  # an email names a person; a token, otherwise


@member_app.command("revoke")
def revoke(
    who: Annotated[str, typer.Argument(help="The member's email, or a token's name.")],
    project: ProjectOpt = None,
    env: RoleEnvOpt = None,
    revoke_now: RevokeNowOpt = False,
    yes: YesOpt = False,
) -> None:
    """Take a role away and rotate the data key of every environment it could read, but for
    one another role of theirs still reaches (a rotation there would cut no access). It says
    first what that takes, revokes and rotates, and asks (--yes: do not ask).

    Example: envkeep member revoke bob@example.com --project shop --yes
    """
    ctx = make_context(writes=True)
    project, env = ctx.role_scope(project, env)
    asked = asking(ctx.settings, yes=yes)
    revoked = member_revocation.revoke(
        ctx, who, project=project, environment=env, now=revoke_now, confirm=asked
    )
    what = f"{who}'s {revoked.role or 'role'} on {member_revocation.scope_where(project, env)}"
    output.done(f"revoked {what}; {revoked.ended(_whose(who))}{revoked.keys()}")
    for kept in revoked.kept:
        output.done(kept)
    if revoked.last:
        output.done(
            f"{who} holds no role in this workspace now, so member list no longer shows them;"
            " their account stays (member grant gives them a role again)"
        )


def _report(done: member_seal.Sealing) -> None:
    """One line per member sealed, and per member or role left unsealed (with why)."""
    for sealed in done.sealed:
        keys = output.counted(sealed.count, "environment key")
        output.done(f"sealed {keys} to {sealed.who} ({', '.join(sealed.roles)})")
    for left in done.left:
        what = f" ({left.what})" if left.what else ""
        hint = f"; {left.hint}" if left.hint else ""
        output.done(f"could not seal keys to {left.who}{what}: {left.why}{hint}")
    for name in done.owed_nothing:
        output.done(f"nothing to seal to {name}: they hold every key their roles open")
    if not done.sealed and not done.left and not done.owed_nothing:
        output.done("nothing to seal: every member holds the keys their roles open")


@member_app.command("remove")
def remove(
    who: Annotated[str, typer.Argument(help="The member's email, or an invitee's.")],
    revoke_now: RevokeNowOpt = False,
    yes: YesOpt = False,
    invites: Annotated[
        bool,
        typer.Option(
            "--invites",
            help="Withdraw only the invites to this email (pending or expired); a member"
            " keeps their roles.",
        ),
    ] = False,
) -> None:
    """Remove a member from the workspace and rotate every key they could read (their
    pending invites go too). It says first which roles, tokens and keys that takes, revokes
    and rotates, and asks (--yes: do not ask). For someone invited who has not joined,
    withdraw the invite, unasked: its code no longer works.

    Example: envkeep member remove bob@example.com --yes (--invites: only the invites to bob)
    """
    if invites and revoke_now:
        raise UsageError(
            "--invites withdraws invites and removes no one: --revoke-now has nothing to do",
            hint="drop one of them",
        )
    ctx = make_context(writes=True)
    asked = asking(ctx.settings, yes=yes)
    removed = member_invites.remove(ctx, who, now=revoke_now, invites_only=invites, confirm=asked)
    output.done(removed.summary(who))


@member_app.command("reset")
def reset(
    email: Annotated[str, typer.Argument(help="The member's email.")],
    role: Annotated[str, typer.Option(help="The role the code gives back: admin, write, read.")],
    project: ProjectOpt = None,
    env: RoleEnvOpt = None,
    revoke_now: RevokeNowOpt = False,
    yes: YesOpt = False,
) -> None:
    """Reset a member's account (forgotten passphrase, stolen laptop): remove them as member
    remove does, void their keys, end their sessions, and make a one-time code (3 days) with
    which they register new keys for the same account. It says first what that takes, and
    asks (--yes: do not ask).

    Example: envkeep member reset bob@example.com --role write --project shop --yes
    """
    from envkeep.client.account_reset import reset as reset_account

    ctx = make_context(writes=True)
    project, env = ctx.role_scope(project, env)
    asked = asking(ctx.settings, yes=yes)
    done = reset_account(
        ctx, email, role, project=project, environment=env, now=revoke_now, confirm=asked
    )
    sys.stdout.write(done.code + "\n")
    sessions = output.counted(done.sessions_ended, "session")
    output.done(
        f"reset {email}: ended {sessions}; {done.removed.ended('their')}{done.removed.keys()}"
    )
    output.done(
        f"send {email} this code; they run: envkeep join {ctx.server_url or 'URL'} CODE and"
        f" choose a new passphrase. Then compare their new key (envkeep member verify {email}"
        f" --fingerprint ...) and give them the keys: {member_seal.seal_command(email)}"
    )
    if done.left is not None:  # after the code: it is printed whatever was left unrotated
        raise done.left


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of `member list --json`: what it is (a role a member holds, or an invite), and a
    member's ``label``, what `member grant` takes and `token list` calls it (an email, a
    token's name, not the server's ``sa:…`` name for it)."""
    if "principal" not in row:
        return {"kind": "invite", **row}
    return {"kind": "member", "label": member_name(row["principal"]), **row}


@member_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List who holds which role where, and the invites not accepted yet (pending or expired).

    Example: envkeep member list
    """
    ctx = make_context()
    found = member_invites.roster(ctx)
    if json_out:  # one list, each row saying what it is: a role a member holds, or an invite
        output.print_json([output.utc_times(_json_row(m)) for m in found])
        return
    me = ctx.session.principal_id if ctx.session is not None else None
    now = datetime.now(UTC)
    rows = [
        (
            shown_member(m["principal"]) if "principal" in m else m["email"],
            m["role"],
            m["project"] or "*",
            m["environment"] or "*",
            f"{m['keys_missing']} missing" if _owed(found, me, m) else "",
            member_invites.state_words(m, now),
        )
        for m in found
    ]
    header = ("MEMBER", "ROLE", "PROJECT", "ENV", "KEYS", "STATE")
    output.print_table(header, rows, empty="no members")
    _notes(found, me)
    # Inviting again needs admin there: a reader is not told to.
    ours = [m for m in found if "principal" in m or roster_reach.may_act_on(found, me, m)]
    for note in member_invites.expired_notes(ours):
        output.done(note)


def _owed(found: list[dict[str, Any]], me: str | None, row: dict[str, Any]) -> bool:
    """Whether ``row``'s missing keys are the caller's business: theirs, or ones it seals."""
    return bool(row.get("keys_missing")) and (
        roster_reach.is_mine(row, me) or roster_reach.may_act_on(found, me, row)
    )


def _notes(found: list[dict[str, Any]], me: str | None) -> None:
    """What to do next about each member who lacks keys (once for all their roles): the
    `member seal` to run where the caller is an admin; for the caller's own, whom to ask."""
    owed: dict[str, list[dict[str, Any]]] = {}
    for m in found:
        if _owed(found, me, m):
            owed.setdefault(m["principal"]["id"], []).append(m)
    for rows in owed.values():
        principal = rows[0]["principal"]
        seal = member_seal.seal_command(member_name(principal))
        if any(roster_reach.may_act_on(found, me, m) for m in rows):
            output.done(
                f"{shown_member(principal)} cannot decrypt what {_their(principal)} role opens"
                f" until an admin seals {_them(principal)} the keys: {seal}"
            )
            continue
        admins = sorted({a for m in rows for a in roster_reach.admins_over(found, me, m)})
        ask = f"ask an admin ({', '.join(admins)})" if admins else "ask an admin"
        output.done(
            f"you cannot decrypt what your role opens until an admin seals you the keys:"
            f" {ask} to run: {seal}"
        )


def _their(principal: dict[str, Any]) -> str:
    return "its" if principal.get("kind") == "service" else "their"


def _them(principal: dict[str, Any]) -> str:
    return "it" if principal.get("kind") == "service" else "them"


@member_app.command("verify")
def verify(
    who: Annotated[str, typer.Argument(help="The member's email, or a token's name.")],
    fingerprint: Annotated[str, typer.Option(help="The fingerprint they read to you.")],
) -> None:
    """Trust a member's (new) public key after comparing its fingerprint out of band.

    Example: envkeep member verify bob@example.com --fingerprint "3f2a 91bc …"
    """
    done = member_verify.verify_member(make_context(), who, fingerprint)
    if done.unchanged:
        output.done(f"{who}'s key {done.fingerprint} was pinned here already; nothing changed")
    elif done.before is None:
        output.done(f"pinned {who}'s key {done.fingerprint}")
    else:
        output.done(
            f"pinned {who}'s new key {done.fingerprint} (in place of {done.before}, pinned on"
            " this machine before)"
        )


def _register_session_commands() -> None:
    """`member sessions` and `member logout`, kept in their own module."""
    from envkeep.cli import member_session_cmds

    member_app.command("sessions")(member_session_cmds.sessions)
    member_app.command("logout")(member_session_cmds.logout)


_register_session_commands()
