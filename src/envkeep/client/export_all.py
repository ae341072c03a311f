"""`envkeep export --all`: every service's resolved values from one read of the environment
(not one read per service), each checked as a single export checks its service's, all or
nothing: one service's errors stop the whole export before anything is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.reading import read_environment
from envkeep.client.resolution import arrange, resolve_each
from envkeep.client.validation import check_resolution, refuse_on_errors
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.validation import Checked


def resolved_services(ctx: ClientContext, env: str, *, validate: bool) -> list[Checked]:
    """Every service of ``env`` (in the store's order, by name), resolved from one read and
    checked; ``validate`` refuses (exit 3) on any service's schema errors, naming them; a
    reference that does not resolve is refused either way, as for one service."""
    layers = arrange(ctx, read_environment(ctx, env))
    services = list(layers.by_service)
    if not services:
        raise UsageError(
            f"project '{ctx.project_file.project}' has no services: --all has none to export",
            hint="add one with: envkeep service add NAME, or export the shared scope without --all",
        )
    checks = [
        check_resolution(ctx, layers, name, found) for name, found in resolve_each(layers, services)
    ]
    if validate:
        refuse_on_errors(checks, env)
    for check in checks:
        check.raise_unresolved()
    return checks
