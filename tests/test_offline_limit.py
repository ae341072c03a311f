"""How old a kept copy a command may read with the server down (`client/offline_limit`):
ENVKEEP_MAX_AGE for every command, `run --max-age` over it for `run`, a day by default for
reads and an hour for what builds files from the values (`export`, `activate-all`); 0 or off
refuses every copy, and a malformed value is a usage error naming the variable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.offline import SnapshotCache
from envkeep.client.offline_limit import flag_limit, offline_limit
from envkeep.core.errors import (
    SchemaChanged,
    ServerFailed,
    StoreUnavailable,
    UnreachableError,
    UsageError,
)
from envkeep.settings import load_settings

if TYPE_CHECKING:
    from pathlib import Path

ENV = "/v1/workspaces/ws/projects/shop/environments/dev/snapshot"
DOWN = UnreachableError("cannot reach http://envkeep.test (connection refused)")
SNAPSHOT: dict[str, Any] = {"environment": {"id": "e1", "revision": 1, "key_version": 1}}
HOUR = 3600.0


def test_the_variable_is_read_by_settings_as_written() -> None:
    assert load_settings({"ENVKEEP_MAX_AGE": "90m"}).max_age == "90m"
    assert load_settings({}).max_age is None
    assert load_settings({"ENVKEEP_MAX_AGE": ""}).max_age is None  # empty: unset


def test_reads_default_to_a_day_and_artifacts_to_an_hour() -> None:
    assert offline_limit(None, flag=None, artifact=False).seconds == 24 * HOUR
    assert offline_limit(None, flag=None, artifact=True).seconds == HOUR


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("90m", 5400.0), ("2h", 7200.0), ("7d", 7 * 86400.0), ("1.5h", 5400.0), ("600", 600.0)],
)
def test_the_variable_sets_the_limit_of_reads_and_artifacts_alike(
    written: str, seconds: float
) -> None:
    for artifact in (False, True):
        assert offline_limit(written, flag=None, artifact=artifact).seconds == seconds


@pytest.mark.parametrize("written", ["0", "off", "OFF", "0s", " off "])
def test_0_and_off_refuse_every_copy(written: str) -> None:
    limit = offline_limit(written, flag=None, artifact=False)

    assert limit.seconds is None
    assert not limit.allows(0.5)


@pytest.mark.parametrize("written", ["1hr", "-1h", "soon", "1e3", "h", "24 hours", "inf"])
def test_an_invalid_variable_is_a_usage_error_naming_it_and_the_accepted_forms(
    written: str,
) -> None:
    with pytest.raises(UsageError) as refused:
        offline_limit(written, flag=None, artifact=False)

    assert "ENVKEEP_MAX_AGE" in refused.value.message
    assert repr(written) in refused.value.message
    for form in ("90m", "24h", "7d", "off"):
        assert form in str(refused.value.hint)


def test_run_max_age_wins_over_the_variable() -> None:
    assert offline_limit("off", flag=flag_limit("3h"), artifact=False).seconds == 3 * HOUR
    assert offline_limit("7d", flag=flag_limit("off"), artifact=False).seconds is None
    with pytest.raises(UsageError, match="--max-age"):
        flag_limit("soon")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _cache(
    tmp_path: Path, written: str | None, *, artifact: bool = False
) -> tuple[SnapshotCache, Clock, list[str]]:
    clock, warned = Clock(), list[str]()
    limit = offline_limit(written, flag=None, artifact=artifact)
    cache = SnapshotCache(tmp_path, limit, warned.append, clock)
    cache.save(ENV, None, SNAPSHOT)
    return cache, clock, warned


def test_the_fallback_line_says_the_copy_s_age_and_how_to_refuse_it(tmp_path: Path) -> None:
    cache, clock, warned = _cache(tmp_path, None)
    clock.now += 2 * HOUR

    cache.load(ENV, None, DOWN)

    assert warned == [
        (
            "warning: server unreachable; using the copy fetched 2.0 h ago (limit 24h, the"
            " default; refuse kept copies with ENVKEEP_MAX_AGE=off)"
        )
    ]


def test_the_fallback_line_says_the_server_answered_when_its_database_did_not(
    tmp_path: Path,
) -> None:
    cache, clock, warned = _cache(tmp_path, None)
    clock.now += 2 * HOUR

    cache.load(ENV, None, StoreUnavailable("the database does not answer"))
    cache.load(ENV, None, ServerFailed("the server failed"))
    cache.load(ENV, None, SchemaChanged.under("0013", "0012"))

    assert [line.split(";")[0] for line in warned] == [
        "warning: the server answers, but its database does not",
        "warning: the server failed with an error of its own",
        "warning: the server stopped serving: its database's schema changed under it",
    ]


def test_an_artifact_s_copy_over_an_hour_old_is_refused_naming_the_variable(
    tmp_path: Path,
) -> None:
    cache, clock, warned = _cache(tmp_path, None, artifact=True)
    clock.now += 2 * HOUR

    with pytest.raises(UnreachableError) as refused:
        cache.load(ENV, None, DOWN)

    assert refused.value.message == (
        "cannot reach http://envkeep.test (connection refused); the copy kept here is 2.0 h old,"
        " over the limit of 1h (the default of export and activate-all)"
    )
    assert refused.value.hint == (
        "reach the server, or take a copy this old: ENVKEEP_MAX_AGE=3h envkeep …"
    )
    assert warned == []


def test_off_refuses_even_a_fresh_copy_and_says_which_setting_did(tmp_path: Path) -> None:
    cache, clock, warned = _cache(tmp_path, "off")
    clock.now += 30

    with pytest.raises(UnreachableError) as refused:
        cache.load(ENV, None, DOWN)

    assert refused.value.message.endswith(
        "the copy kept here is 30 s old, and ENVKEEP_MAX_AGE=off refuses kept copies"
    )
    assert "ENVKEEP_MAX_AGE=1h envkeep …" in str(refused.value.hint)
    assert warned == []
