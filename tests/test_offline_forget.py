"""A read the server refuses deletes the copy kept of it for offline use: a member whose role
was taken away must not go on reading the environment from this machine's copy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pydantic
import pytest

from envkeep.client.http import ApiClient, HttpBackend
from envkeep.client.offline import SnapshotCache
from envkeep.core.errors import PermissionDenied

if TYPE_CHECKING:
    from pathlib import Path

PROBLEM = "https://envkeep.dev/problems/"


def _answers(*responses: httpx.Response) -> httpx.MockTransport:
    pending = list(responses)
    return httpx.MockTransport(lambda _request: pending.pop(0))


def test_a_refused_read_deletes_its_kept_copy(tmp_path: Path) -> None:
    refused = httpx.Response(
        403,
        json={
            "type": f"{PROBLEM}permission_denied",
            "title": "no role here",
            "status": 403,
            "code": "permission_denied",
        },
        headers={"content-type": "application/problem+json"},
    )
    kept = tmp_path / "snapshots"
    transport = _answers(httpx.Response(200, json={"kept": "as sent"}), refused)
    backend = HttpBackend(
        ApiClient("http://envkeep.test", transport=transport), "ws", SnapshotCache(kept)
    )
    with pytest.raises(pydantic.ValidationError):  # kept first, then read as a snapshot
        backend.read_environment("shop", "prod", None)
    assert len(list(kept.iterdir())) == 1

    with pytest.raises(PermissionDenied):
        backend.read_environment("shop", "prod", None)

    assert list(kept.iterdir()) == []
