"""A read the server refuses deletes the copy kept of it for offline use: a member whose role
was taken away must not go on reading the environment from this machine's copy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.http import HttpBackend
from envkeep.client.offline import SnapshotCache
from envkeep.client.refusals import workspace_refused_hook
from envkeep.core.errors import PermissionDenied

if TYPE_CHECKING:
    from pathlib import Path

PROBLEM = "https://envkeep.dev/problems/"


def _answers(*responses: httpx.Response) -> httpx.MockTransport:
    pending = list(responses)
    return httpx.MockTransport(lambda _request: pending.pop(0))


def test_a_refused_read_deletes_every_copy_kept_of_that_environment(tmp_path: Path) -> None:
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
    transport = _answers(refused)
    cache = SnapshotCache(kept)
    backend = HttpBackend(ApiClient("http://envkeep.test", transport=transport), "ws", cache)
    # Copies kept by earlier reads (a read keeps the answer once it has checked it).
    for environment, services in (("prod", None), ("prod", ["api"]), ("dev", None)):
        cache.save(backend._snapshot_path("shop", environment), services, {"kept": "as sent"})
    assert len(list(kept.rglob("*.json"))) == 3

    with pytest.raises(PermissionDenied):  # one scope of prod refused: all of prod goes
        backend.read_environment("shop", "prod", ["web"])

    assert len(list(kept.rglob("*.json"))) == 1  # dev's copy, which was not refused


def _copy_of(workspace: str) -> dict[str, object]:
    return {"project": {"id": "p", "workspace_id": workspace, "name": "shop"}}


def test_a_refusal_of_any_role_in_a_workspace_deletes_every_copy_kept_of_it(
    tmp_path: Path,
) -> None:
    kept = SnapshotCache(tmp_path / "snapshots")
    for workspace, environment in (("ws", "dev"), ("ws", "prod"), ("other", "dev")):
        path = f"/v1/workspaces/{workspace}/projects/shop/environments/{environment}/snapshot"
        kept.save(path, None, _copy_of(workspace))
    body = {"title": "you have no role in this workspace", "status": 403}
    body |= {"code": "permission_denied", "type": f"{PROBLEM}permission_denied"}
    at_one_scope = httpx.Response(403, json=body)  # the same words, no member: one scope's
    workspace_wide = httpx.Response(403, json=body | {"scope": "workspace"})
    api = ApiClient("http://envkeep.test", transport=_answers(at_one_scope, workspace_wide))
    api.add_refusal_hook(workspace_refused_hook(kept.directory))

    for answer in ("one scope", "the workspace"):
        with pytest.raises(PermissionDenied) as refused:
            api.request("GET", "/v1/workspaces/ws/members")
        if answer == "one scope":
            assert len(list(kept.directory.rglob("*.json"))) == 3

    assert refused.value.scope == "workspace"
    [left] = kept.directory.rglob("*.json")
    assert json.loads(left.read_text())["snapshot"] == _copy_of("other")
