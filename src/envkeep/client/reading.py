"""Reading an environment: fetch, unseal, verify, decrypt — the start of most commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.vault import OpenEnvironment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext


def read_environment(
    ctx: ClientContext, env: str, services: Sequence[str] | None = None
) -> OpenEnvironment:
    """The shared scope plus ``services``' scopes (None: every scope), decrypted."""
    opened = OpenEnvironment.read(
        ctx.backend,
        ctx.identity,
        ctx.project_file.project,
        env,
        None if services is None else list(services),
        verify=ctx.verified,
    )
    ctx.verified.save()
    return opened
