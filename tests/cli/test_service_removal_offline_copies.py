"""`service remove` keeps each environment's copy for reads offline even when the environments
could not be listed before the removal: the removal deletes the copies and the read after it
keeps them again, which was skipped with the warning's read before (nothing read offline until
the next online read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.client import project_services
from envkeep.core.errors import UnreachableError

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext
    from envkeep.client.snapshot_reads import SnapshotReads

    from .conftest import Envkeep, Homes


def test_service_remove_keeps_the_offline_copies_when_listing_failed_before_it(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "QUEUE=jobs", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "set", "PORT=8080", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "export", "--env", "dev", "--service", "api")  # keeps a copy of dev
    backend: Any = client.backend
    listed = backend.list_environments
    calls: list[str] = []

    def failing_once(project: str) -> Any:
        calls.append(project)
        if len(calls) == 1:  # the read for the warning, before the removal
            raise UnreachableError("cannot reach the server (connection refused)")
        return listed(project)

    monkeypatch.setattr(backend, "list_environments", failing_once)

    broken = project_services.remove_service(client, "worker")

    assert broken == []  # nothing read before: nothing to warn of
    assert len(calls) >= 2  # the removal went through and listed them
    kept: SnapshotReads = backend._snapshots
    assert kept.cache is not None
    assert kept.cache.holds_copies(kept.path("shop", "dev"))


def test_a_removal_that_cannot_list_the_environments_after_it_keeps_no_copy_of_them(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server removed the service but the environments whose copies held its values
    could not be listed: the project's copies are deleted (none may serve the removed values
    offline), and the removal is not told as failed (it went through)."""
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "QUEUE=jobs", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "export", "--env", "dev", "--service", "worker")  # keeps a copy of dev
    backend: Any = client.backend
    kept: SnapshotReads = backend._snapshots
    assert kept.cache is not None
    assert kept.cache.holds_copies(kept.path("shop", "dev"))

    def unreachable(project: str) -> Any:
        raise UnreachableError(f"cannot reach the server to list {project} (connection refused)")

    monkeypatch.setattr(backend, "list_environments", unreachable)

    backend.remove_service("shop", "worker")

    assert not kept.cache.holds_copies(kept.path("shop", "dev"))
    monkeypatch.undo()
    assert "worker" not in [s.name for s in backend.list_services("shop")]
