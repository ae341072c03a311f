"""`service remove` reads each environment whole once: its warning of the references the
removal breaks is worked out from the read after the removal and the service's own values read
before it, and that read after it keeps the copy for reads offline (each environment was
fetched and decrypted whole twice: once for the warning, once to refresh the kept copy)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from envkeep.client import project_services
from envkeep.client.snapshot_reads import SnapshotReads

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep, Homes

WORKER_EXAMPLE = """\
# The queue's name.
# @default=jobs
QUEUE=
"""


def test_service_remove_fetches_each_environment_whole_once_and_keeps_its_copy(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "QUEUE=jobs", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "set", "QUEUE_URL=redis://${worker.QUEUE}", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "export", "--env", "dev", "--service", "api")  # keeps a copy of dev
    whole: list[str] = []
    fetch = SnapshotReads._fetch

    def counted(reads: SnapshotReads, path: str, services: Any, **kwargs: Any) -> Any:
        if services is None:
            whole.append(path.rsplit("/", 2)[-2])
        return fetch(reads, path, services, **kwargs)

    monkeypatch.setattr(SnapshotReads, "_fetch", counted)

    broken = project_services.remove_service(client, "worker")

    said = (
        "in dev: api.QUEUE_URL refers to ${worker.QUEUE}, which is no longer set; export and"
        " run will fail until it is set again"
    )
    assert [b.describe() for b in broken] == [said]
    assert "dev" in whole
    assert [env for env, count in Counter(whole).items() if count > 1] == []
    kept: SnapshotReads = client.backend._snapshots  # type: ignore[attr-defined]
    assert kept.cache is not None
    assert kept.cache.holds_copies(kept.path("shop", "dev"))  # read after the removal


def test_service_remove_warns_of_a_reference_to_its_schema_default(envkeep: Envkeep) -> None:
    """The state before the removal is made from the one after it and the service's values:
    a reference that only its schema's @default answered is broken by the removal too."""
    quick_ok(envkeep, "init", "shop")
    (envkeep.cwd / "services" / "worker" / ".env.example").write_text(WORKER_EXAMPLE)
    quick_ok(envkeep, "service", "add", "worker", "--path", "services/worker")
    quick_ok(envkeep, "service", "add", "api", "--path", "services/api")
    quick_ok(envkeep, "set", "QUEUE_URL=redis://${worker.QUEUE}", "--env", "dev", "-s", "api")
    assert quick_ok(envkeep, "get", "QUEUE_URL", "--env", "dev", "-s", "api").stdout == (
        "redis://jobs\n"
    )

    removed = envkeep.ok("service", "remove", "worker", "--yes")

    said = (
        "warning: in dev: api.QUEUE_URL refers to ${worker.QUEUE}, which is no longer set;"
        " export and run will fail until it is set again"
    )
    assert [line for line in removed.err_lines if line.startswith("warning:")] == [said]
