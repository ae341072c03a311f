"""Which kept copy an offline read uses: the newest that holds what it asks (a copy of every
scope answers a read of one service, narrowed as the server narrows it), and saving a copy
deletes the ones it supersedes, so two commands on one environment never show two ages of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.offline import SnapshotCache
from envkeep.client.offline_limit import offline_limit
from envkeep.core.errors import UnreachableError

if TYPE_CHECKING:
    from pathlib import Path

ENV = "/v1/workspaces/ws/projects/shop/environments/dev/snapshot"
DOWN = UnreachableError("cannot reach http://envkeep.test (connection refused)")


def _person(principal_id: str) -> dict[str, Any]:
    return {
        "id": principal_id,
        "kind": "user",
        "name": f"{principal_id}@example.com",
        "encryption_public": "AA",
        "signing_public": "AA",
    }


def _secret(scope: str, author: str, value: str) -> dict[str, Any]:
    current = {"scope": scope, "author_id": author, "value_ct": value}
    return {"id": f"{scope}-{value}", "scope": scope, "current": current}


def _snapshot(
    revision: int, scopes: list[str], *, key_version: int = 1, env_id: str = "e1"
) -> dict[str, Any]:
    """A snapshot as the server sends it, for the shared scope plus ``scopes`` (services by
    name); each scope holds one secret by its own author, its value the revision."""
    services = [{"id": "s-api", "name": "api"}, {"id": "s-web", "name": "web"}]
    ids = {s["name"]: s["id"] for s in services}
    held = ["shared", *(f"service:{ids[name]}" for name in scopes)]
    secrets = [_secret(scope, f"author-{scope}", f"r{revision}") for scope in held]
    authors = ["sharer", *(s["current"]["author_id"] for s in secrets)]
    environment = {"id": env_id, "revision": revision, "key_version": key_version}
    return {
        "environment": environment,
        "services": services,
        "shares": [{"key_version": key_version, "sharer": _person("sharer"), "sealed": "AA"}],
        "secrets": secrets,
        "authors": [_person(a) for a in authors],
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> SnapshotCache:
    return SnapshotCache(tmp_path / "snapshots", clock=clock)


def _kept(cache: SnapshotCache) -> int:
    return len(list(cache.directory.rglob("*.json")))


def _values(snapshot: dict[str, Any]) -> dict[str, str]:
    return {s["scope"]: s["current"]["value_ct"] for s in snapshot["secrets"]}


def test_a_read_of_one_service_uses_a_newer_copy_of_every_scope(
    cache: SnapshotCache, clock: Clock
) -> None:
    cache.save(ENV, ["api"], _snapshot(3, ["api"]))
    clock.now += 60
    cache.save(ENV, None, _snapshot(5, ["api", "web"]))

    one_service = cache.load(ENV, ["api"], DOWN)
    shared_only = cache.load(ENV, [], DOWN)

    assert one_service == _snapshot(5, ["api"])  # narrowed exactly as the server narrows
    assert _values(shared_only) == {"shared": "r5"}
    assert [a["id"] for a in shared_only["authors"]] == ["sharer", "author-shared"]
    assert _kept(cache) == 1  # the older copy of api was superseded and deleted


def test_a_newer_copy_of_one_service_leaves_an_older_copy_of_every_scope_for_the_others(
    cache: SnapshotCache, clock: Clock
) -> None:
    cache.save(ENV, None, _snapshot(3, ["api", "web"]))
    clock.now += 60
    cache.save(ENV, ["api"], _snapshot(5, ["api"]))

    assert _values(cache.load(ENV, ["api"], DOWN)) == {"shared": "r5", "service:s-api": "r5"}
    assert _values(cache.load(ENV, [], DOWN)) == {"shared": "r5"}
    # Only the older copy holds web's scope: it is the newest that can answer.
    assert _values(cache.load(ENV, ["web"], DOWN)) == {"shared": "r3", "service:s-web": "r3"}
    assert _values(cache.load(ENV, None, DOWN))["service:s-web"] == "r3"
    assert _kept(cache) == 2


def test_a_rotated_key_supersedes_copies_of_the_same_revision_read_before(
    cache: SnapshotCache,
) -> None:
    cache.save(ENV, ["api"], _snapshot(4, ["api"], key_version=1))
    cache.save(ENV, ["api", "web"], _snapshot(4, ["api", "web"], key_version=2))

    assert cache.load(ENV, ["api"], DOWN)["environment"]["key_version"] == 2
    assert _kept(cache) == 1


def test_a_copy_of_an_environment_re_created_under_the_name_replaces_the_old_ones(
    cache: SnapshotCache,
) -> None:
    cache.save(ENV, None, _snapshot(9, ["api", "web"], env_id="old"))
    cache.save(ENV, ["api"], _snapshot(1, ["api"], env_id="new"))

    assert cache.load(ENV, ["api"], DOWN)["environment"]["id"] == "new"
    with pytest.raises(UnreachableError) as refused:
        cache.load(ENV, ["web"], DOWN)  # only the gone environment's copy held web
    assert refused.value.message.endswith(
        "and api's only (read for those services), and this read needs web's"
    )
    assert _kept(cache) == 1


def test_no_copy_answers_a_wider_read_or_a_service_it_does_not_know_and_the_error_says_so(
    cache: SnapshotCache,
) -> None:
    cache.save(ENV, ["api"], _snapshot(3, ["api"]))
    cache.save("/other/environment", None, _snapshot(3, ["api", "web"]))

    needs = {None: "every scope", "web": "web's", "api,web": "api, web's", "worker": "worker's"}
    for services, needed in needs.items():
        with pytest.raises(UnreachableError) as refused:
            cache.load(ENV, None if services is None else services.split(","), DOWN)
        # `list --service api` answered offline, so the read that cannot says why (exit 5)
        assert refused.value.message == (
            f"{DOWN.message}; the copy kept here holds the shared scope and api's only (read for"
            f" those services), and this read needs {needed}"
        )
        assert refused.value.exit_code == 5
        assert "validate --all and activate-all keep every scope" in (refused.value.hint or "")
    with pytest.raises(UnreachableError) as refused:
        cache.load("/never/read", None, DOWN)  # no copy at all: the error, saying so
    assert refused.value.message == DOWN.message
    assert "no copy of this environment is kept on this machine" in str(refused.value.hint)


def test_the_copy_chosen_must_be_younger_than_the_maximum_age(tmp_path: Path, clock: Clock) -> None:
    warned: list[str] = []
    limit = offline_limit("1h", flag=None, artifact=False)
    cache = SnapshotCache(tmp_path, limit, notify=warned.append, clock=clock)
    cache.save(ENV, None, _snapshot(3, ["api", "web"]))
    clock.now += 1800

    cache.load(ENV, ["api"], DOWN)
    clock.now += 3600
    with pytest.raises(UnreachableError, match="the copy kept here is 90 min old") as refused:
        cache.load(ENV, ["api"], DOWN)
    clock.now += 10 * 86400
    with pytest.raises(UnreachableError) as older:
        cache.load(ENV, ["api"], DOWN)

    assert warned == [
        (
            "warning: server unreachable; using the copy fetched 30 min ago (limit 1h,"
            " ENVKEEP_MAX_AGE; refuse kept copies with ENVKEEP_MAX_AGE=off)"
        )
    ]
    # The age the hint offers is one the copy passes.
    assert "ENVKEEP_MAX_AGE=2h envkeep …" in str(refused.value.hint)
    assert "ENVKEEP_MAX_AGE=11d envkeep …" in str(older.value.hint)


def test_copies_stay_private_and_damaged_or_older_format_ones_are_ignored_then_deleted(
    cache: SnapshotCache,
) -> None:
    cache.save(ENV, ["api"], _snapshot(3, ["api"]))
    [kept] = cache.directory.rglob("*.json")
    folder = kept.parent
    (folder / "damaged.json").write_text("{not json")
    (folder / "older.json").write_text('{"fetched_at": 1, "snapshot": {}}')  # no "services"

    assert _values(cache.load(ENV, ["api"], DOWN))["service:s-api"] == "r3"
    cache.save(ENV, ["web"], _snapshot(4, ["web"]))

    assert not (folder / "damaged.json").exists()
    assert not (folder / "older.json").exists()
    assert len(list(folder.glob("*.json"))) == 2  # api's (web's does not hold it) and web's
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())
