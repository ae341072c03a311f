"""Writing a planned batch, and when it is stale, saying who changed what meanwhile.

What counts as a change is a value, compared in plaintext here (the server cannot): a new
version that holds the value a command read is no conflicting write. A key rotation makes one
of every value (re-encrypted under the new key, by whoever rotated), and a write planned
before it is refused by the server all the same (sealed under the old key);
`write_scoped_changes` then plans it again against a new read, and the explanation of a real
conflict names only the values that changed. Every write that read what it changes goes
through it (edit, unset, import, rollback, rollback --to-time, promote, lift); a blind `set`
plans again on any race instead (`write_planned` with ``retry``).

A batch is given by service (None: the shared scope), as its checks take it
(`write_service_changes`; `write_changes` for one scope), and written by stored scope
(`write_scoped_changes`; a scope's rollback gives that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.resolution import where_flags
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.app.views import SecretWrite
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

    # A batch by service (None: the shared scope), a None value unsetting its name.
    ServiceChanges = Mapping[str | None, Mapping[str, str | None]]


def write_planned(
    ctx: ClientContext,
    opened: OpenEnvironment,
    writes: Sequence[SecretWrite],
    *,
    confirmed: bool = False,
    retry: bool = False,
) -> int:
    """Send a batch planned against ``opened``; a conflict names the changed variables, their
    authors and times (read again now), and nothing was written. ``retry``: a stale version
    raises `Stale` instead (the caller plans again against a new read)."""
    env = opened.snapshot.environment.name
    try:
        revision = ctx.backend.write_secrets(
            ctx.project_file.project, env, writes, confirmed=confirmed
        )
    except ConflictError as error:
        if retry and type(error) is ConflictError:  # versions moved on; not a replaced env
            raise Stale from None
        raise _explained(ctx, opened, writes, error) from None
    ctx.verified.save()  # the signatures of ``writes``, made here (`plan_writes`)
    return revision


class Stale(Exception):
    """A batch was planned against versions another write has since replaced."""


# Plans of one `write_changes`: each new read may meet another rotation, but not forever.
REPLANS = 3


def write_changes(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changes: Mapping[str, str | None],
    *,
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
) -> list[SecretWrite]:
    """Write ``changes`` (None unsets) to ``service``'s scope (None: shared) of ``opened``:
    `write_service_changes` of that one scope."""
    scoped = {service: changes}
    return write_service_changes(ctx, opened, scoped, confirmed=confirmed, progress=progress)


def write_service_changes(
    ctx: ClientContext,
    opened: OpenEnvironment,
    changes: ServiceChanges,
    *,
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
) -> list[SecretWrite]:
    """`write_scoped_changes` of a batch by service (None: the shared scope), the shape its
    checks take (`write_checks.refuse_violations_across`,
    `broken_references.unresolved_by_writes`); a scope without a change is left out, and a
    batch without any writes nothing (no writes returned)."""
    stored = {opened.scope_for(service): named for service, named in changes.items() if named}
    if not stored:
        return []
    return write_scoped_changes(ctx, opened, stored, confirmed=confirmed, progress=progress)


def write_scoped_changes(
    ctx: ClientContext,
    opened: OpenEnvironment,
    changes: Mapping[str, Mapping[str, str | None]],
    *,
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
) -> list[SecretWrite]:
    """Write ``changes`` (stored scope -> name -> value, None unsets) to ``opened`` as one
    batch, planned against what it read. When the store moved on meanwhile without changing the
    value of any name changed here (a key rotation re-encrypted them, or a write set the same
    value), nothing this command read is lost: the batch is planned again against a new read,
    sealed under the data key current then, and written. A name whose value is not the one read
    (changed, deleted or created since) is a conflict, explained, and nothing is written.
    ``progress``: called once per version sealed by the first plan. Returns the writes made
    (those of the last plan)."""
    for attempt in range(REPLANS):
        writes = _plan(opened, changes, progress if attempt == 0 else None)
        try:
            ctx.backend.write_secrets(
                ctx.project_file.project, opened.snapshot.environment.name, writes,
                confirmed=confirmed,
            )  # fmt: skip
        except ConflictError as error:
            now = _read_again(ctx, opened) if type(error) is ConflictError else None
            if now is None or attempt == REPLANS - 1 or _moved(opened, now, changes):
                raise _explained(ctx, opened, writes, error, now=now) from None
            opened = now
        else:
            ctx.verified.save()  # the signatures of ``writes``, made here (`plan_writes`)
            return writes
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt raises


def _plan(
    opened: OpenEnvironment,
    changes: Mapping[str, Mapping[str, str | None]],
    progress: Callable[[], None] | None,
) -> list[SecretWrite]:
    return [
        write
        for scope, named in changes.items()
        for write in opened.plan_writes(scope, named, progress=progress)
    ]


def _read_again(ctx: ClientContext, opened: OpenEnvironment) -> OpenEnvironment | None:
    """The environment of ``opened`` read again, every scope; None when it cannot be (the
    conflict is then the answer)."""
    from envkeep.client.reading import read_environment

    try:
        return read_environment(ctx, opened.snapshot.environment.name, None)
    except Exception:  # noqa: BLE001 - the original conflict is still the answer
        return None


def _moved(
    read: OpenEnvironment, now: OpenEnvironment, changes: Mapping[str, Mapping[str, str | None]]
) -> bool:
    """Whether the value of a name of ``changes`` is not what ``read`` held (decrypted both)."""
    return any(
        _value(read, scope, name) != _value(now, scope, name)
        for scope, named in changes.items()
        for name in named
    )


def _value(opened: OpenEnvironment, scope: str, name: str) -> str | None:
    found = opened.find(scope, name)
    return None if found is None else found.value


def _explained(
    ctx: ClientContext,
    opened: OpenEnvironment,
    writes: Sequence[SecretWrite],
    error: ConflictError,
    *,
    now: OpenEnvironment | None = None,
) -> ConflictError:
    """``error`` worded with what changed since ``opened`` was read: the names planned whose
    version moved on, less those that still hold the value read (a rotation's re-encryption);
    ``now``: the environment read again already."""
    now = now or _read_again(ctx, opened)
    if now is None:
        return error
    planned = {w.secret_id: w.expected_version for w in writes}
    read = {v.secret_id: v.value for v in opened.variables()}
    changed = [
        v
        for v in now.variables()
        if v.secret_id in planned
        and v.version != planned[v.secret_id]
        and read.get(v.secret_id) != v.value
    ]
    for write in writes:  # a name this batch meant to create, created by another meanwhile
        if write.expected_version == 0:
            created = now.find_indexed(write.scope, write.name_index)
            if created is not None and created not in changed:
                changed.append(created)
    if not changed:
        return error
    parts = [
        f"{v.name} (now version {v.version}, by {v.author} at {v.updated_at})" for v in changed[:3]
    ]
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    scope = changed[0].scope
    env = opened.snapshot.environment.name
    listing = f"envkeep list {where_flags(ctx, env, None if scope == SHARED_SCOPE else scope)}"
    return ConflictError(
        f"changed by another write while this command ran: {'; '.join(parts)}{more};"
        " nothing was written",
        hint=f"see the new values ({listing}), then run your command again",
    )
