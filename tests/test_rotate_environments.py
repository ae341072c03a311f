"""Which environments a revocation rotates: found by id from one listing, read only when the
server's listing lacks ids (a server from before it gave them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from envkeep.client import members

LISTING = [
    {"project": "shop", "environment": "dev", "key_version": 1, "environment_id": "id-dev"},
    {"project": "shop", "environment": "staging", "key_version": 3, "environment_id": "id-stg"},
    {"project": "blog", "environment": "prod", "key_version": 1, "environment_id": "id-prod"},
]


@dataclass
class _Backend:
    listing: list[dict[str, Any]]
    workspace_id: str = "ws"
    requests: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.api = SimpleNamespace(request=self._request)

    def _request(self, method: str, path: str, **_: Any) -> list[dict[str, Any]]:
        self.requests.append(f"{method} {path}")
        return self.listing

    def read_environment(self, project: str, environment: str, _names: list[str]) -> Any:
        self.reads.append(f"{project}/{environment}")
        ids = {f"{i['project']}/{i['environment']}": i["environment_id"] for i in LISTING}
        return SimpleNamespace(environment=SimpleNamespace(id=ids[f"{project}/{environment}"]))


@pytest.fixture
def rotated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    done: list[str] = []

    def rotate_key(_ctx: object, environment: str, *, project: str | None = None) -> int:
        done.append(f"{project}/{environment}")
        return 2

    monkeypatch.setattr(members, "rotate_key", rotate_key)
    return done


def _use(monkeypatch: pytest.MonkeyPatch, backend: _Backend) -> None:
    monkeypatch.setattr(members, "_http", lambda _ctx: backend)


def test_only_the_affected_environments_are_rotated_and_none_is_read_to_find_them(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = members.rotate_environments(object(), {"id-stg", "id-prod"})  # type: ignore[arg-type]
    assert answer == ["shop/staging", "blog/prod"]
    assert rotated == ["shop/staging", "blog/prod"]
    assert backend.reads == []
    assert backend.requests == ["GET /v1/workspaces/ws/scope-environments"]


def test_an_older_servers_listing_without_ids_is_read_to_find_them(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    old = [{k: v for k, v in item.items() if k != "environment_id"} for item in LISTING]
    backend = _Backend(old)
    _use(monkeypatch, backend)
    answer = members.rotate_environments(object(), {"id-dev"})  # type: ignore[arg-type]
    assert answer == rotated == ["shop/dev"]
    assert backend.reads == ["shop/dev", "shop/staging", "blog/prod"]


def test_nothing_affected_asks_the_server_nothing(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    assert members.rotate_environments(object(), set()) == []  # type: ignore[arg-type]
    assert backend.requests == rotated == []
