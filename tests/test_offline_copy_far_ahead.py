"""A copy fetched "ahead of the clock" (this machine's clock set back since it was kept) passed
any limit, however far ahead: a clock reset to a default date served a copy of any age. It now
passes when no further ahead than the limit (a small step back), and is refused further ahead,
saying the clock looks wrong, how to keep a new copy, and the limit that takes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.client.offline import SnapshotCache
from envkeep.client.offline_limit import flag_limit, offline_limit
from envkeep.core.errors import UnreachableError
from tests.test_offline_copy_order import DOWN, ENV, Clock, _snapshot

if TYPE_CHECKING:
    from pathlib import Path


def _kept_then_set_back(tmp_path: Path, seconds: float, limit: str | None) -> SnapshotCache:
    """A copy kept, then the clock set back ``seconds``; reads limited by ``limit`` (run's
    --max-age; None: the reads' default, 24h)."""
    clock = Clock()
    chosen = offline_limit(None, flag=None, artifact=False) if limit is None else flag_limit(limit)
    cache = SnapshotCache(tmp_path / "snapshots", chosen, clock=clock)
    cache.save(ENV, None, _snapshot(7, []))
    clock.now -= seconds
    return cache


def test_a_copy_ahead_by_less_than_the_limit_is_read(tmp_path: Path) -> None:
    cache = _kept_then_set_back(tmp_path, 1800, "1h")
    lines: list[str] = []
    cache.notify = lines.append

    assert cache.load(ENV, None, DOWN)["environment"]["revision"] == 7
    assert "set back since" in lines[0]


@pytest.mark.parametrize(("limit", "taken"), [("1h", "envkeep run --max-age 4h"), (None, "")])
def test_a_copy_further_ahead_than_the_limit_is_refused_saying_the_clock_looks_wrong(
    tmp_path: Path, limit: str | None, taken: str
) -> None:
    ahead = 3 * 3600 if limit else 30 * 86400  # a clock reset back a month
    cache = _kept_then_set_back(tmp_path, ahead, limit)

    with pytest.raises(UnreachableError) as refused:
        cache.load(ENV, None, DOWN)

    message, hint = refused.value.message, refused.value.hint or ""
    assert "the copy kept here was fetched" in message
    assert "ahead of this machine's clock" in message
    assert message.endswith("the clock looks wrong")
    assert hint.startswith("set the clock right, then run the command (envkeep run …)")
    assert (taken or "ENVKEEP_MAX_AGE=31d envkeep") in hint
