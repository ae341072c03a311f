"""Which of two answers of one environment a kept copy ends as, whatever order they are saved
in: the later state of the server. Two reads that overlapped (two commands at once, a read and
a write's refresh) keep the higher revision, whichever is saved last; an answer asked for after
a copy was kept is the server's state now, kept even at a lower revision (a server restored
from a backup), and no copy from before it answers offline reads any more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.offline import SnapshotCache
from envkeep.core.errors import UnreachableError

if TYPE_CHECKING:
    from pathlib import Path

ENV = "/v1/workspaces/ws/projects/shop/environments/dev/snapshot"
DOWN = UnreachableError("cannot reach http://envkeep.test (connection refused)")


def _snapshot(revision: int, services: list[str]) -> dict[str, Any]:
    """The server's answer at ``revision`` for the shared scope plus ``services``."""
    known = [{"id": "s-api", "name": "api"}, {"id": "s-web", "name": "web"}]
    scopes = ["shared", *(f"service:s-{name}" for name in services)]
    secrets = [
        {"id": scope, "scope": scope, "current": {"author_id": "me", "value_ct": f"r{revision}"}}
        for scope in scopes
    ]
    return {
        "environment": {"id": "e1", "revision": revision, "key_version": 1},
        "services": known,
        "shares": [{"key_version": 1, "sharer": {"id": "me"}, "sealed": "AA"}],
        "secrets": secrets,
        "authors": [{"id": "me"}],
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> float:
        """The time one second on."""
        self.now += 1
        return self.now


def _revision(cache: SnapshotCache, services: list[str] | None) -> int:
    return int(cache.load(ENV, services, DOWN)["environment"]["revision"])


@pytest.mark.parametrize("first_sent", ["older", "newer"])
def test_an_answer_asked_for_before_a_newer_copy_was_kept_leaves_that_copy(
    tmp_path: Path, first_sent: str
) -> None:
    clock = Clock()
    # Two processes' caches of one home; each read's request sent, then both answers saved,
    # the newer (the server took a write between the two reads) first.
    one, other = (SnapshotCache(tmp_path / "kept", clock=clock) for _ in range(2))
    sent = {"older": 0.0, "newer": 0.0}
    sent[first_sent] = clock.tick()
    sent["newer" if first_sent == "older" else "older"] = clock.tick()
    clock.tick()
    one.save(ENV, None, _snapshot(6, ["api", "web"]), sent_at=sent["newer"])
    clock.tick()
    other.save(ENV, None, _snapshot(5, ["api", "web"]), sent_at=sent["older"])

    assert _revision(one, None) == _revision(other, ["api"]) == 6


def test_an_answer_asked_for_after_a_copy_was_kept_replaces_it_at_a_lower_revision(
    tmp_path: Path,
) -> None:
    clock = Clock()
    cache = SnapshotCache(tmp_path / "kept", clock=clock)
    cache.save(ENV, None, _snapshot(9, ["api", "web"]), sent_at=clock.tick())
    cache.save(ENV, ["web"], _snapshot(9, ["web"]), sent_at=clock.tick())
    clock.tick()  # the server restored from a backup of revision 3: asked for from now on

    cache.save(ENV, ["api"], _snapshot(3, ["api"]), sent_at=clock.tick())

    assert _revision(cache, ["api"]) == 3
    # The copies of revision 9 are gone, web's too: none serves what the server no longer has.
    assert len(list(cache.directory.rglob("*.json"))) == 1
    with pytest.raises(UnreachableError, match="this read needs web's"):
        cache.load(ENV, ["web"], DOWN)


def test_a_higher_revision_replaces_a_copy_whenever_it_was_asked_for(tmp_path: Path) -> None:
    clock = Clock()
    cache = SnapshotCache(tmp_path / "kept", clock=clock)
    cache.save(ENV, None, _snapshot(4, ["api", "web"]))  # no time sent given: asked for now

    cache.save(ENV, None, _snapshot(7, ["api", "web"]), sent_at=clock.now - 60)

    assert _revision(cache, None) == 7  # asked for before the copy was kept: they overlapped
