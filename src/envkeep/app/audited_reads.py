"""Reads as the team server serves them: the same queries as ``reads``, plus an audit event
in the same transaction (DESIGN §5: every read of data is audited), which says the command the
client sent it for (``via``, `api/client_command`), where it said one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app import reads, version_reads
from envkeep.app.audit_append import append_event, project_named
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.secrets_cache import SecretsCache
    from envkeep.app.views import EnvironmentSnapshot, PrincipalView, VersionView


def read_environment(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    services: Sequence[str] | None,
    cache: SecretsCache | None = None,
) -> EnvironmentSnapshot:
    """An environment's ciphertext for the actor, recorded in the audit trail (``cache``: see
    ``reads.read_environment``)."""
    snapshot = reads.read_environment(
        call.fetch,
        call.actor,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        services=services,
        cache=cache,
    )
    append_event(
        call,
        workspace_id=workspace_id,
        action="secrets.read",
        target=f"{project}/{environment}",
        details=_via(call, {"secrets": len(snapshot.secrets)}),
        project_id=snapshot.project.id,
    )
    return snapshot


def secret_history(
    call: Call, *, workspace_id: str, project: str, environment: str, secret_id: str
) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
    """Every version of one secret, recorded in the audit trail."""
    found = version_reads.secret_history(
        call.fetch,
        call.actor,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        secret_id=secret_id,
    )
    append_event(
        call,
        workspace_id=workspace_id,
        action="secrets.history",
        target=f"{project}/{environment}",
        details=_via(call, {"secret_id": secret_id}),
        project_id=project_named(call, workspace_id, project),
    )
    return found


def versions_at(
    call: Call, *, workspace_id: str, project: str, environment: str, scope: str, at: str
) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
    """The version each secret of one scope held at a time (``version_reads.versions_at``), recorded
    in the audit trail as one history read of the scope."""
    found = version_reads.versions_at(
        call.fetch,
        call.actor,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        scope=scope,
        at=at,
    )
    append_event(
        call,
        workspace_id=workspace_id,
        action="secrets.history",
        target=f"{project}/{environment}",
        details=_via(
            call,
            {
                "scope": scope,
                "at": utc_second(version_reads.held_moment(at)),
                "secrets": len(found[0]),
            },
        ),
        project_id=project_named(call, workspace_id, project),
    )
    return found


def _via(call: Call, details: dict[str, object]) -> dict[str, object]:
    """A read event's ``details``, with the command the client says read (``via``)."""
    command = call.actor.command
    return details if command is None else {**details, "via": command}
