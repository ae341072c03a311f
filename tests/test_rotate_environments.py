"""Which environments a revocation rotates: those its answer names; with an older server's
answer (ids alone), found from one listing, read only when the listing lacks ids too."""

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


def test_the_environments_an_answer_names_are_rotated_without_asking_more(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = {"environment_ids": ["id-stg", "id-prod"], "environments": LISTING[1:]}
    done = members.rotate_environments(object(), answer)  # type: ignore[arg-type]
    assert done == rotated == ["shop/staging", "blog/prod"]
    assert backend.requests == backend.reads == []


def test_an_answer_with_ids_alone_finds_them_in_one_listing_without_reading(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = {"environment_ids": ["id-stg", "id-prod"]}
    done = members.rotate_environments(object(), answer)  # type: ignore[arg-type]
    assert done == rotated == ["shop/staging", "blog/prod"]
    assert backend.reads == []
    assert backend.requests == ["GET /v1/workspaces/ws/scope-environments"]


def test_an_older_servers_listing_without_ids_is_read_to_find_them(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    old = [{k: v for k, v in item.items() if k != "environment_id"} for item in LISTING]
    backend = _Backend(old)
    _use(monkeypatch, backend)
    done = members.rotate_environments(object(), {"environment_ids": ["id-dev"]})  # type: ignore[arg-type]
    assert done == rotated == ["shop/dev"]
    assert backend.reads == ["shop/dev", "shop/staging", "blog/prod"]


def test_nothing_affected_asks_the_server_nothing(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answers: list[dict[str, list[str]]] = [
        {"environment_ids": []},
        {"environment_ids": [], "environments": []},
    ]
    for answer in answers:
        assert members.rotate_environments(object(), answer) == []  # type: ignore[arg-type]
    assert backend.requests == rotated == []
