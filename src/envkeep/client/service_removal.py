"""What `service remove` is about to delete, said before it does: the service's variables in
each environment, with their history.

The removal cannot be undone, so, as `member remove` does (`revocation_plan`), it asks on a
terminal and, off one, goes ahead only with --yes: the refusal says what it would delete and
gives the command that does. The variables are counted from the stored entries, not opened:
a count needs no key, and an environment this caller cannot read is named as such.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.reads import service_scope
from envkeep.core.errors import ConfirmationRequired, NotFoundError, PermissionDenied
from envkeep.core.wording import counted, spoken_list

if TYPE_CHECKING:
    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.context import ClientContext

__all__ = ["ServiceRemoval", "plan_removal"]


@dataclass(frozen=True)
class ServiceRemoval:
    """The service to remove, its live variables by environment (environments with none
    left out), and the environments this caller could not read to count them."""

    service: str
    counts: tuple[tuple[str, int], ...]
    unread: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        return shlex.join(["envkeep", "service", "remove", self.service, "--yes"])

    def __str__(self) -> str:
        """``removing service 'api' deletes its 3 variables in dev and 1 in prod, with their
        history``."""
        found = [f"{counted(n, 'variable')} in {env}" for env, n in self.counts]
        deletes = f"deletes its {spoken_list(found)}, with their history" if found else ""
        deletes = deletes or "deletes no variable (it has none in any environment)"
        unread = (
            f" ({', '.join(self.unread)} not counted: not readable here)" if self.unread else ""
        )
        return f"removing service '{self.service}' {deletes}{unread}"

    def question(self) -> str:
        return f"{self}. Remove it?"

    def refused(self) -> ConfirmationRequired:
        """The error a removal not confirmed ends with."""
        return ConfirmationRequired(
            f"{self}; pass --yes to go ahead",
            hint=f"nothing changed; to remove it anyway: {self.command}",
        )


def plan_removal(ctx: ClientContext, service: str) -> ServiceRemoval:
    """Count ``service``'s variables in each environment of the project (one read each)."""
    project = ctx.project_file.project
    counts: list[tuple[str, int]] = []
    unread: list[str] = []
    for environment in ctx.backend.list_environments(project):
        try:
            snapshot = ctx.backend.read_environment(project, environment.name, [service])
        except (PermissionDenied, NotFoundError):  # no role there (or gone): said, not guessed
            unread.append(environment.name)
            continue
        count = _live_count(snapshot, service)
        if count:
            counts.append((environment.name, count))
    return ServiceRemoval(service, tuple(counts), tuple(unread))


def _live_count(snapshot: EnvironmentSnapshot, service: str) -> int:
    scopes = {service_scope(s.id) for s in snapshot.services if s.name == service}
    return sum(1 for s in snapshot.secrets if s.scope in scopes and not s.deleted)
