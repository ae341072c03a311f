"""The clock stepping back (an NTP correction, a VM resumed) does not keep a copy from before a
server's restore: copies kept "later" than the new clock's now were kept before the step, and
an answer asked for now replaces them even at a lower revision, as it would without the step.
They stayed, and offline reads served values the server no longer had until the clock caught up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import ENV, Clock, _revision, _snapshot

if TYPE_CHECKING:
    from pathlib import Path


def test_an_answer_asked_for_after_the_clock_stepped_back_replaces_a_higher_copy(
    tmp_path: Path,
) -> None:
    clock = Clock()
    cache = SnapshotCache(tmp_path / "kept", clock=clock)
    cache.save(ENV, None, _snapshot(9, ["api", "web"]), sent_at=clock.tick())
    cache.save(ENV, ["web"], _snapshot(9, ["web"]), sent_at=clock.tick())
    clock.now -= 3600  # the clock steps back an hour; the server is restored to revision 3

    sent_at = clock.tick()
    clock.tick()
    cache.save(ENV, None, _snapshot(3, ["api", "web"]), sent_at=sent_at)

    assert _revision(cache, None) == _revision(cache, ["web"]) == 3
