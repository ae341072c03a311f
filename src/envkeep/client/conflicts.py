"""Writing a planned batch, and when it is stale, saying who changed what meanwhile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.resolution import where_flags
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.views import SecretWrite
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment


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
        return ctx.backend.write_secrets(ctx.project_file.project, env, writes, confirmed=confirmed)
    except ConflictError as error:
        if retry and type(error) is ConflictError:  # versions moved on; not a replaced env
            raise Stale from None
        raise _explained(ctx, opened, writes, error) from None


class Stale(Exception):
    """A batch was planned against versions another write has since replaced."""


def _explained(
    ctx: ClientContext, opened: OpenEnvironment, writes: Sequence[SecretWrite], error: ConflictError
) -> ConflictError:
    from envkeep.client.reading import read_environment

    try:
        now = read_environment(ctx, opened.snapshot.environment.name, None)
    except Exception:  # noqa: BLE001 - the original conflict is still the answer
        return error
    planned = {w.secret_id: w.expected_version for w in writes}
    changed = [
        v for v in now.variables() if v.secret_id in planned and v.version != planned[v.secret_id]
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
