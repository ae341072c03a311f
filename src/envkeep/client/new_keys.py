"""A new environment's data key, sealed to everyone whose role opens it.

`env create`, `env clone` and `init` make environments whose key only the creator holds at
first. On a team server, a role on the workspace or the project opens them for others too, so
the client seals the key to each of those (their keys checked as `member grant` checks a
grantee's) and names anyone it could not, with the commands that fix it. A rotation's new key
(`key_rotation`) leaves out, and names alike, a reader whose key is not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.core.errors import EnvkeepError, IntegrityError, NotAnEnvkeepRoute

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext
    from envkeep.client.write_plans import WriteTarget
    from envkeep.crypto import PublicKeys


@dataclass(frozen=True)
class Unsealed:
    """One whose role opens a new environment, but whom its key was not sealed to: who (as
    `member list` shows them), why, and the commands that fix it, in order."""

    who: str
    why: str
    fix: tuple[str, ...]

    def lines(self, what: str, verb: str = "was") -> tuple[str, ...]:
        """The warning that ``what`` ("the key of 'dev'") ``verb`` not sealed to them, then
        each step that fixes it, indented."""
        said = f"warning: {what} {verb} not sealed to {self.who}: {self.why}"
        return (said, *(f"  {step}" for step in self.fix))


@dataclass(frozen=True)
class NewKey:
    """A just-created environment's key version and data key (kept by the client)."""

    project: str
    environment: str
    env_id: str
    key_version: int
    data_key: bytes = field(repr=False)


def share_new_key(ctx: ClientContext, new: NewKey) -> tuple[Unsealed, ...]:
    """Seal a new environment's key to each principal whose role opens it (a role on the
    workspace or the project), checked as `member grant` checks a grantee's keys (pinned, an
    invite's proof); return those it could not be sealed to. The environment stays either way.
    The embedded store has one principal: its creator holds the key already."""
    from envkeep.client.http import HttpBackend

    backend = ctx.backend
    if not isinstance(backend, HttpBackend):
        return ()
    path = f"{backend.project_path(new.project)}/environments/{new.environment}"
    try:
        due = _one_role_each(backend.api.request("GET", f"{path}/keys-missing"))
    except EnvkeepError as error:
        fix = "see whose keys are missing, with the command that seals them: envkeep member list"
        if isinstance(error, NotAnEnvkeepRoute) and error.route_missing:  # an older server
            fix = "seal it to them (each member's role is sealed again): envkeep member seal"
        return (Unsealed("the others whose role opens it", error.message, (fix,)),)
    shares: dict[str, dict[str, object]] = {}
    left: dict[str, Unsealed] = {}
    from envkeep.client.write_plans import WriteTarget

    target = WriteTarget(new.env_id, new.data_key, new.key_version)
    sealed = f"{new.environment}'s key"
    for principal_id, member in due.items():
        try:
            shares[principal_id] = sealed_share(ctx, member["principal"], target, sealed)
        except EnvkeepError as error:
            left[principal_id] = _unsealed(member, error)
    if shares:
        try:
            backend.api.request("POST", f"{path}/shares", json=list(shares.values()))
        except EnvkeepError as error:
            left.update({i: _unsealed(due[i], error) for i in shares})
    return tuple(left.values())


def _one_role_each(due: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """One `keys-missing` role per principal: on the project rather than the workspace, whose
    `member grant` a project's admin may run."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for member in due:
        principal_id = str(member["principal"]["id"])
        if principal_id not in chosen or (
            member["project"] and not chosen[principal_id]["project"]
        ):
            chosen[principal_id] = member
    return chosen


def sealed_share(
    ctx: ClientContext,
    principal: Mapping[str, Any],
    target: WriteTarget,
    sealed: str,
) -> dict[str, object]:
    """``target``'s data key sealed to a principal as the API lists it (its ``Principal``
    JSON) and takes a share, its keys checked first (``checked_recipient``, which names it
    with ``sealed``: what is sealed, "prod's key"): a new environment's shares and a
    rotation's are made here alike."""
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.http import principal_view
    from envkeep.client.scope_shares import seal_for

    view = principal_view(read_answer(schemas.Principal, principal))
    keys = checked_recipient(ctx, view, sealed)
    return seal_for(
        ctx,
        target.dek,
        env_id=target.env_id,
        key_version=target.key_version,
        recipient_id=view.id,
        recipient=keys,
    )


def checked_recipient(ctx: ClientContext, view: PrincipalView, sealed: str) -> PublicKeys:
    """The keys to seal ``sealed`` (what is sealed, for the note: "prod's key") to
    ``view``, checked by `refuse_untrusted_recipient`, the one check every path that seals a
    key goes through (a rotation, a grant, a new key's shares). The server chose the recipient
    and its keys, so one this machine had not seen is named, with its fingerprint to compare,
    as it is pinned (DESIGN §4, Trust), only once the pin is written (one that could not be
    was said as such); with ENVKEEP_SIGNERS set it was compared when the list was written, and
    is pinned without a note."""
    from envkeep.client.pins import check_pin
    from envkeep.client.principal_names import shown_principal

    first_seen = refuse_untrusted_recipient(ctx, view, sealed)
    if view.id == ctx.identity.principal_id:
        return ctx.identity.record.public
    keys, pinned = check_pin(ctx, view)
    if first_seen and pinned and ctx.listed_signers is None and ctx.notify is not None:
        ctx.notify(
            f"note: pinned the key of {shown_principal(view)}, which this machine had not"
            f" seen before, to seal {sealed} to it (fingerprint {keys.fingerprint()}); compare"
            " it with theirs (they run: envkeep whoami --fingerprint): if they differ, the"
            " server gave out a key that is not theirs"
        )
    return keys


def refuse_untrusted_recipient(ctx: ClientContext, view: PrincipalView, sealed: str) -> bool:
    """Refuse a key ``sealed`` may not be sealed to, sealing, sending and pinning nothing (a
    revocation asks before it changes anything, for the rotations it calls for): this
    caller's own shown as another, one an invite of ours disproves, one other than the key
    pinned here. With ENVKEEP_SIGNERS set, any key it leaves out is refused too, pinned here
    or proved by an invite or not (the list is the whole of what the command trusts: a home
    that pinned keys before must not widen it); only this caller's own and a key this command
    made (``ctx.made_here``: `token rotate`'s new token) pass unlisted. True when the key is
    first seen here (to be pinned)."""
    from envkeep.client.invite_proofs import check_invite_proof, invited_here, unproven_invitee
    from envkeep.client.pins import (
        changed_key,
        fingerprint_of,
        load_pins,
        pin_key,
        unlisted_recipient,
    )

    seen = fingerprint_of(view)
    if view.id == ctx.identity.principal_id:  # this machine's own keys: compared, not noted
        own = ctx.identity.record.public.fingerprint()
        if seen != own:
            raise IntegrityError(
                f"the server shows your own key as {seen}, not yours ({own}): {sealed} was not"
                " sealed to it; nothing was changed",
                hint="tell your workspace's admins: the server or the network in between is"
                " not to be trusted",
            )
        return False
    proved = check_invite_proof(ctx, view, "nothing was sealed to them")
    pinned = load_pins(ctx).get(pin_key(ctx, view.id))
    if pinned is not None and pinned != seen:
        raise changed_key(view, pinned, seen)
    listed = ctx.listed_signers
    if listed is not None and seen not in listed and ctx.made_here.get(view.id) != seen:
        raise unlisted_recipient(view, seen, sealed, pinned=pinned is not None)
    first_seen = pinned is None and not proved
    if first_seen and listed is None and invited_here(ctx, view):
        raise unproven_invitee(view, sealed)
    return first_seen


def rotation_shares(
    ctx: ClientContext, readers: Sequence[Mapping[str, Any]], target: WriteTarget, sealed: str
) -> tuple[list[dict[str, object]], dict[str, Unsealed]]:
    """A rotated key's shares for ``readers`` (as the API lists them), and, by principal id,
    those left out: a reader other than this caller whose key `refuse_untrusted_recipient`
    refuses is sealed nothing, and the rotation goes on without them (DESIGN §4: they lose
    access until an admin trusts their key and seals it, where failing the rotation would
    leave whom it revokes holding the current key). This caller's own key shown otherwise
    still stops it."""
    shares: list[dict[str, object]] = []
    left: dict[str, Unsealed] = {}
    for reader in readers:
        try:
            shares.append(sealed_share(ctx, reader, target, sealed))
        except IntegrityError as refused:
            if str(reader.get("id")) == ctx.identity.principal_id:
                raise
            left[str(reader["id"])] = _unsealed({"principal": reader}, refused)
    return shares, left


def _unsealed(member: Mapping[str, Any], error: EnvkeepError) -> Unsealed:
    """A member the key was not sealed to: the error, its hint, then the `member seal` that
    seals them what their roles open once their key is trusted (`member list` says the
    same)."""
    import shlex

    from envkeep.client.principal_names import member_name, shown_member

    principal = member["principal"]
    seal = shlex.join(["envkeep", "member", "seal", member_name(principal)])
    if error.hint is None:
        return Unsealed(shown_member(principal), error.message, (f"seal it to them: {seal}",))
    return Unsealed(shown_member(principal), error.message, (error.hint, f"then: {seal}"))
