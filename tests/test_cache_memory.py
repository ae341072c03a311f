"""The server's snapshot caches keep one state of an environment, not one per revision: an
entry holds every secret of the environment, and an earlier revision is never read again, so
a count of entries bounds their memory only if each write's leftovers go."""

from __future__ import annotations

from dataclasses import replace

from envkeep.api.snapshot_json import SnapshotJson
from envkeep.app.secrets_cache import SecretsCache, SecretsKey
from envkeep.app.views import (
    EnvironmentSnapshot,
    EnvironmentView,
    ProjectView,
    SecretView,
    VersionView,
)


def _key(revision: int, env: str = "e1", scopes: frozenset[str] | None = None) -> SecretsKey:
    return SecretsKey(env, "2026-01-01T00:00:00", revision, 1, ("s1",), scopes)


def _secrets(revision: int) -> tuple[SecretView, ...]:
    version = VersionView("id", "shared", revision, 1, b"n", b"v", "a", b"sig", "t")
    return (SecretView("id", "shared", b"i", version),)


def _snapshot(revision: int, env: str = "e1") -> EnvironmentSnapshot:
    environment = EnvironmentView(env, "p1", "dev", 1, revision, False, None)
    return EnvironmentSnapshot(
        ProjectView("p1", "w1", "shop"), environment, (), (), _secrets(revision), ()
    )


def test_secrets_cache_forgets_an_environments_earlier_revisions() -> None:
    cache = SecretsCache()
    cache.keep(_key(1, "other"), _secrets(1))
    for revision in range(1, 50):
        cache.keep(_key(revision), _secrets(revision))
        cache.keep(_key(revision, scopes=frozenset({"shared"})), _secrets(revision))
    assert len(cache) == 3  # the other environment, and this one's two readings of revision 49
    assert cache.get(_key(49)) is not None
    assert cache.get(_key(48)) is None
    assert cache.get(_key(1, "other")) is not None


def test_secrets_cache_forgets_an_environment_made_again_under_its_id() -> None:
    cache = SecretsCache()
    cache.keep(_key(7), _secrets(7))
    cache.keep(replace(_key(0), created_at="2026-02-01T00:00:00"), _secrets(0))
    assert len(cache) == 1


def test_snapshot_rendering_keeps_one_revision_of_an_environment() -> None:
    render = SnapshotJson()
    render(_snapshot(1, "other"))
    for revision in range(1, 50):
        found = _snapshot(revision)
        assert render(found) == render(replace(found))  # a second read: the same bytes
    assert len(render._rendered) == 2
    assert len(render._frames) == 2
    assert len(render._documents) == 2


def _large(revision: int, count: int) -> tuple[SecretView, ...]:
    version = VersionView("id", "shared", revision, 1, b"n" * 100, b"v" * 900, "a", b"s", "t")
    return tuple(SecretView(f"id{i}", "shared", b"i" * 32, version) for i in range(count))


def test_the_caches_hold_a_budget_of_bytes_not_only_a_count_of_entries() -> None:
    """Large environments, each read once: a count of 256 entries would keep them all."""
    budget = 1_000_000
    cache = SecretsCache(budget=budget)
    render = SnapshotJson(budget=budget)
    for env in range(40):
        key = _key(1, f"e{env}")
        secrets = _large(1, 300)  # about 500 KB each as the cache weighs them
        cache.keep(key, secrets)
        found = replace(_snapshot(1, f"e{env}"), secrets=secrets)
        render(found)
        assert cache.weight <= budget
        assert render._rendered.weight <= budget
        assert render._documents.weight <= budget
    assert len(cache) == 1  # two would pass the budget
    assert cache.get(_key(1, "e39")) is not None  # the latest stays
    assert cache.get(_key(1, "e0")) is None


def test_a_value_heavier_than_the_whole_budget_is_not_kept() -> None:
    cache = SecretsCache(budget=10_000)
    cache.keep(_key(1, "small"), _secrets(1))
    cache.keep(_key(1, "huge"), _large(1, 300))
    assert cache.get(_key(1, "huge")) is None
    assert cache.get(_key(1, "small")) is not None  # and it pushed nothing out
