"""Which environments a revocation rotates: those its answer names; with an older server's
answer (ids alone), found from one listing, read only when the listing lacks ids too."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from envkeep.client import key_rotation
from envkeep.core.errors import ConflictError, EnvironmentReplaced
from envkeep.core.rotation_left import RotationLeft

CTX: Any = object()  # a client context the stubs below never read

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

    ids = {f"{i['project']}/{i['environment']}": i["environment_id"] for i in LISTING}

    def rotate_key(
        _ctx: object,
        environment: str,
        *,
        project: str | None = None,
        expected_id: str | None,
        gone: frozenset[str] = frozenset(),
    ) -> int:
        assert expected_id in {None, ids[f"{project}/{environment}"]}  # None: no id known
        done.append(f"{project}/{environment}" + ("" if expected_id else " (no id)"))
        return 2

    monkeypatch.setattr(key_rotation, "rotate_key", rotate_key)
    return done


def _use(monkeypatch: pytest.MonkeyPatch, backend: _Backend) -> None:
    monkeypatch.setattr(key_rotation, "team_backend", lambda _ctx: backend)


def test_the_environments_an_answer_names_are_rotated_without_asking_more(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = {"environment_ids": ["id-stg", "id-prod"], "environments": LISTING[1:]}
    done = key_rotation.rotate_environments(CTX, answer)
    assert done == rotated == ["blog/prod", "shop/staging"]  # in name order
    assert backend.requests == backend.reads == []


def test_an_answer_with_ids_alone_finds_them_in_one_listing_without_reading(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = {"environment_ids": ["id-stg", "id-prod"]}
    done = key_rotation.rotate_environments(CTX, answer)
    assert done == rotated == ["blog/prod", "shop/staging"]
    assert backend.reads == []
    assert backend.requests == ["GET /v1/workspaces/ws/scope-environments"]


def test_an_older_servers_listing_without_ids_is_read_to_find_them(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    old = [{k: v for k, v in item.items() if k != "environment_id"} for item in LISTING]
    backend = _Backend(old)
    _use(monkeypatch, backend)
    done = key_rotation.rotate_environments(CTX, {"environment_ids": ["id-dev"]})
    assert done == ["shop/dev"]
    assert rotated == ["shop/dev (no id)"]  # the listing gave none to check the name against
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
        assert key_rotation.rotate_environments(CTX, answer) == []
    assert backend.requests == rotated == []


def test_one_environment_failing_does_not_stop_the_others_and_each_left_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []

    def rotate_key(
        _ctx: object,
        environment: str,
        *,
        project: str | None = None,
        expected_id: str | None,
        gone: frozenset[str] = frozenset(),
    ) -> int:
        if environment == "staging":
            raise ConflictError("the key changed meanwhile", hint="envkeep member verify BOB")
        if environment == "prod":
            raise KeyError("malformed answer")  # not envkeep's own: still not the end of it
        done.append(f"{project}/{environment}")
        return 2

    monkeypatch.setattr(key_rotation, "rotate_key", rotate_key)
    _use(monkeypatch, _Backend(LISTING))
    with pytest.raises(RotationLeft) as raised:
        key_rotation.rotate_environments(CTX, {"environment_ids": [], "environments": LISTING})
    assert done == ["shop/dev"]
    assert raised.value.rotated == ("shop/dev",)
    assert raised.value.left == (
        ("blog", "prod", "failed unexpectedly: a bug in envkeep"),
        ("shop", "staging", "the key changed meanwhile"),
    )
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("envkeep member verify BOB; then ")
    assert "envkeep env rotate-key staging --project shop" in raised.value.hint
    assert "envkeep env rotate-key prod --project blog" in raised.value.hint


def test_ids_an_answer_does_not_name_are_found_by_listing(
    monkeypatch: pytest.MonkeyPatch, rotated: list[str]
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    answer = {"environment_ids": ["id-dev", "id-prod"], "environments": [LISTING[0]]}
    assert key_rotation.rotate_environments(CTX, answer) == ["blog/prod", "shop/dev"]
    assert backend.requests == ["GET /v1/workspaces/ws/scope-environments"]


def test_a_renamed_environment_is_rotated_under_its_new_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = {"id-stg": "qa"}  # staging was renamed qa, and a new staging made
    calls: list[tuple[str, str | None]] = []

    def rotate_key(
        _ctx: object,
        environment: str,
        *,
        project: str | None = None,
        expected_id: str | None,
        gone: frozenset[str] = frozenset(),
    ) -> int:
        calls.append((environment, expected_id))
        if names.get(expected_id or "") != environment:
            raise EnvironmentReplaced("another environment now")
        return 3

    renamed = [{**LISTING[1], "environment": "qa"}]
    monkeypatch.setattr(key_rotation, "rotate_key", rotate_key)
    _use(monkeypatch, _Backend(renamed))
    done = key_rotation.rotate_environments(
        CTX, {"environment_ids": ["id-stg"], "environments": [LISTING[1]]}
    )
    assert done == ["shop/qa"]
    assert calls == [("staging", "id-stg"), ("qa", "id-stg")]
    names["id-stg"] = "qa"
    monkeypatch.setattr(key_rotation, "rotate_key", _failing_for("qa", rotate_key))
    with pytest.raises(RotationLeft) as raised:
        key_rotation.rotate_environments(
            CTX, {"environment_ids": ["id-stg"], "environments": [LISTING[1]]}
        )
    assert raised.value.left == (("shop", "qa", "the network went away"),)  # its name now
    assert raised.value.hint is not None
    assert "rotate-key qa --project shop" in raised.value.hint
    assert "rotate-key staging" not in raised.value.hint  # that one is another environment
    monkeypatch.setattr(key_rotation, "rotate_key", rotate_key)
    names.clear()  # and once it is gone altogether, nothing is left to rotate
    _use(monkeypatch, _Backend([]))
    gone = key_rotation.rotate_environments(
        CTX, {"environment_ids": ["id-stg"], "environments": [LISTING[1]]}
    )
    assert gone == ["shop/staging (deleted since)"]


def test_a_key_is_not_rotated_when_the_name_is_another_environment_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = _Backend(LISTING)
    _use(monkeypatch, backend)
    opened = SimpleNamespace(snapshot=SimpleNamespace(environment=SimpleNamespace(id="id-new")))
    monkeypatch.setattr(key_rotation, "_open_other", lambda _ctx, _project, _env: opened)
    context = SimpleNamespace(project_file=SimpleNamespace(project="shop"))
    with pytest.raises(EnvironmentReplaced) as raised:
        key_rotation.rotate_key(
            cast("Any", context), "staging", project="shop", expected_id="id-stg"
        )
    assert "shop/staging" in str(raised.value)
    assert backend.requests == []  # nothing was asked of the server, nothing re-encrypted


def test_a_rotated_token_is_shown_before_any_key_rotates(monkeypatch: pytest.MonkeyPatch) -> None:
    from envkeep.client import token_rotation

    backend = SimpleNamespace(
        workspace_id="ws", api=SimpleNamespace(request=lambda *_a, **_k: {"environment_ids": []})
    )
    monkeypatch.setattr(token_rotation, "team_backend", lambda _ctx: backend)
    current = {"label": "ci", "revoked": True, "project": "shop", "environment": "dev"}
    monkeypatch.setattr(token_rotation, "list_tokens", lambda _ctx: [current])
    monkeypatch.setattr(token_rotation, "pin_made_here", lambda *_args: None)  # no home to pin in
    seen: list[token_rotation.Minted] = []

    def rotate_environments(_ctx: object, _answer: object, _gone: object = None) -> list[str]:
        assert seen, "the new token must be shown first"
        raise RotationLeft.of([], [("shop", "dev", "network down")], [])

    monkeypatch.setattr(token_rotation, "rotate_environments", rotate_environments)
    with pytest.raises(RotationLeft):
        token_rotation.rotate_token(CTX, "ci", expires=None, show=seen.append)
    assert len(seen) == 1
    assert seen[0].token.startswith("ek_sa_")
    assert not seen[0].known  # a server that did not say when it expires: nothing is made up


def _failing_for(name: str, rotate_key: Any) -> Any:
    def rotate(_ctx: object, environment: str, **kwargs: Any) -> int:
        if environment == name:
            raise ConflictError("the network went away")
        result: int = rotate_key(_ctx, environment, **kwargs)
        return result

    return rotate


def test_an_environment_whose_refusal_ends_with_its_rotate_key_command_is_not_named_again() -> None:
    # A key version refused as rolled back (`key_version_pins`) ends its hint with the command
    # that rotates it: the last such one was named a second time, bare, as if the others were not.
    hints = [
        f"accept it: envkeep env trust {env} --project shop; then an admin rotates the key"
        f" again: envkeep env rotate-key {env} --project shop"
        for env in ("dev", "staging")
    ]
    left = [("shop", "dev", "rolled back"), ("shop", "staging", "rolled back")]

    refused = RotationLeft.of([], left, hints)

    assert refused.hint is not None
    assert refused.hint.count("envkeep env rotate-key staging --project shop") == 1
    assert "rotate each now" not in refused.hint
