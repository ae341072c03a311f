"""Opening an environment for a command: the scopes a read needs, every scope, or what a
write's checks need, a reader refused the write before anything about what it writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.reading import read_environment, refused_as_write
from envkeep.client.write_role import refuse_unless_writable

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment


def _services(service: str | None) -> list[str]:
    return [] if service is None else [service]


def open_environment(ctx: ClientContext, env: str, service: str | None) -> OpenEnvironment:
    """Read and decrypt the shared scope and, if given, one service's scope."""
    return read_environment(ctx, env, _services(service))


def open_all_scopes(ctx: ClientContext, env: str) -> OpenEnvironment:
    """An environment with every scope read and decrypted."""
    return read_environment(ctx, env, None)


def open_for_write(
    ctx: ClientContext,
    env: str,
    service: str | None,
    *,
    every_scope: bool,
    refuse_readers: bool = True,
) -> OpenEnvironment:
    """`open_environment`, or with ``every_scope`` the whole environment (what a write's
    checks need: who else sees a value, what its references expand to), ``service`` checked
    to exist as the narrow read checks it. A refusal to read is worded as the write's, and
    a reader is refused the write now, before any check of what it writes (`write_role`;
    ``refuse_readers`` False: the caller does that itself)."""
    with refused_as_write(ctx, env):
        opened = read_environment(ctx, env) if every_scope else open_environment(ctx, env, service)
    if refuse_readers:
        refuse_unless_writable(ctx, opened)
    if not every_scope:
        return opened
    known = [s.name for s in opened.snapshot.services]
    if service is not None and service not in known:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(service, ctx.project_file.project, known)
    return opened
