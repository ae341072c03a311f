"""Rotating an environment's data key: who reads it now, and the switch to a new key in one
transaction (a share of it for every current reader, every current value re-encrypted under
it by the rotating client). The server never sees a key: it checks that nothing is left
behind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app._lookup import authorised_environment
from envkeep.app.audit import append_event
from envkeep.app.live_readers import live
from envkeep.app.policy import Role, Target, covers
from envkeep.app.principals import principal_view
from envkeep.app.role_scopes import policy_binding
from envkeep.app.views import Reader
from envkeep.app.writes import apply_writes, check_sizes, lock_environment, stored_sizes
from envkeep.core.errors import ConflictError, InputError
from envkeep.store.models import DataKeyShare, Environment, Principal, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.share_store import NewShare
    from envkeep.app.views import SecretWrite


def readers_of(call: Call, *, workspace_id: str, project: str, environment: str) -> list[Reader]:
    """Every principal that may read an environment now (for sealing a rotated key), by name,
    with the highest role that opens it to them and whether they hold a share of its current
    key (who a member missing it may ask: `member seal` and the refusals of a key not held)."""
    found, env = authorised_environment(call, workspace_id, project, environment, Role.ADMIN)
    target = Target(workspace_id, found.id, env.id)
    bindings = call.session.scalars(
        select(RoleBinding).where(RoleBinding.workspace_id == workspace_id)
    )
    roles: dict[str, Role] = {}
    for binding in bindings:
        scope = policy_binding(binding)
        if covers(scope, target):
            roles[binding.principal_id] = max(
                scope.role, roles.get(binding.principal_id, scope.role)
            )
    people = call.session.scalars(
        select(Principal).where(Principal.id.in_(list(roles))).order_by(Principal.name)
    )
    held = set(
        call.session.scalars(
            select(DataKeyShare.recipient_id).where(
                DataKeyShare.environment_id == env.id, DataKeyShare.key_version == env.key_version
            )
        )
    )
    return [  # no key for a dead token
        Reader(principal_view(p), str(roles[p.id]), p.id in held) for p in live(call, people)
    ]


def rotate_key(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    new_key_version: int,
    shares: Sequence[NewShare],
    writes: Sequence[SecretWrite],
    left_out: frozenset[str] = frozenset(),
) -> int:
    """Switch an environment to a new data key in one transaction: its shares for every
    current reader but those the client named ``left_out`` (whose keys it does not trust:
    they hold no share of the new key until one is sealed to them; never the caller, else
    a rotation could leave the new key with no one), and every current value re-encrypted
    under it (admin)."""
    _found, env = authorised_environment(call, workspace_id, project, environment, Role.ADMIN)
    lock_environment(call, env, project)  # a write committed meanwhile is seen; none comes between
    if new_key_version != env.key_version + 1:
        raise ConflictError("the environment's key changed meanwhile", hint="run the command again")
    readers = {
        r.principal.id
        for r in readers_of(
            call, workspace_id=workspace_id, project=project, environment=environment
        )
    }
    given = _new_key_shares(shares, env.id, new_key_version)
    if call.actor.principal_id in left_out:  # it made the key: left out, maybe no one holds it
        raise InputError(
            "a rotation cannot leave out the caller, who made the new key",
            hint="seal the new key to yourself too, then run the command again",
        )
    if readers - given.keys() - left_out:
        raise InputError(
            "the new key is not shared with every reader", hint="run the command again"
        )
    env.key_version = new_key_version
    call.session.flush()
    for recipient in sorted(readers & given.keys()):  # none for those left out
        share = given[recipient]
        call.session.add(
            DataKeyShare(
                id=call.new_id(),
                environment_id=env.id,
                key_version=new_key_version,
                recipient_id=recipient,
                sharer_id=call.actor.principal_id,
                sealed=share.sealed,
                created_at=call.clock(),
            )
        )
    if writes:
        check_sizes(writes, stored=stored_sizes(call, writes))
        _reindex(call, env, writes)
        apply_writes(call, env, writes)
    _check_all_rewritten(call, env)
    append_event(
        call,
        workspace_id=workspace_id,
        action="environment.rotate_key",
        target=f"{project}/{environment}",
        details=_details(new_key_version, readers - given.keys(), readers, len(writes)),
        project_id=env.project_id,
    )
    return new_key_version


def _details(
    key_version: int, left_out: set[str], readers: set[str], rewritten: int
) -> dict[str, object]:
    """The audit event's details: the readers left out counted and named (their principal
    ids, as `environment.share` names whom it sealed to) only when there are any."""
    details: dict[str, object] = {
        "key_version": key_version,
        "readers": len(readers),
        "rewritten": rewritten,
    }
    if left_out:
        details["left_out"] = len(left_out)
        details["left_out_ids"] = sorted(left_out)
    return details


def _new_key_shares(
    shares: Sequence[NewShare], environment_id: str, key_version: int
) -> dict[str, NewShare]:
    """A rotation's shares by recipient: each must seal the new key of this environment, and
    a recipient gets one (a second could be the one stored while the first was checked)."""
    given: dict[str, NewShare] = {}
    for share in shares:
        if share.environment_id != environment_id or share.key_version != key_version:
            raise InputError(
                "a share is for another environment or key version than this rotation's",
                hint="run the command again",
            )
        if share.recipient_id in given:
            raise InputError("two shares for one recipient", hint="run the command again")
        given[share.recipient_id] = share
    return given


def _check_all_rewritten(call: Call, env: Environment) -> None:
    """Every live value is under the new key once a rotation is applied: one written after
    the rotating client read the environment would stay under the old key, which no member
    granted from then on holds (nor could they read the environment at all)."""
    from envkeep.store.models import Secret, SecretVersion

    left = call.session.scalar(
        select(SecretVersion.secret_id)
        .join(
            Secret,
            (Secret.id == SecretVersion.secret_id)
            & (Secret.current_version == SecretVersion.version),
        )
        .where(
            Secret.environment_id == env.id,
            SecretVersion.value_ct.is_not(None),
            SecretVersion.key_version != env.key_version,
        )
        .limit(1)
    )
    if left is not None:
        raise ConflictError(
            "the environment changed while its key was rotated; nothing was changed",
            hint="run the command again",
        )


def _reindex(call: Call, env: Environment, writes: Sequence[SecretWrite]) -> None:
    """A new key means new name indexes: move each secret to the index its rewrite carries.
    The environment's secrets are read in one statement (a rotation rewrites every one of
    them: a read by id each was a statement per variable) and updated in one flush."""
    from envkeep.store.models import Secret

    with call.session.no_autoflush:
        held = {
            secret.id: secret
            for secret in call.session.scalars(
                select(Secret).where(Secret.environment_id == env.id)
            )
        }
    for write in writes:
        secret = held.get(write.secret_id)
        if secret is None:
            raise InputError("a rotation rewrites a secret of another environment")
        secret.name_index = write.name_index
    call.session.flush()
