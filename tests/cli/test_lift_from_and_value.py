"""`share NAME=VALUE --from SERVICE`: both choose the value, and the given one won without a
word, the service's value ignored. It is refused, nothing written; `--from` with a name that
gives no value beside one that does still chooses that name's value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok
from .schema_refusals import stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

LOUD, QUIET, GIVEN = "debug-x51", "warn-x52", "info-x53"


def _differing(envkeep: Envkeep) -> None:
    quick_ok(envkeep, "set", f"LOG_LEVEL={LOUD}", "TTL=1", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "set", f"LOG_LEVEL={QUIET}", "TTL=2", "--env", "dev", "-s", "worker")


def test_share_with_a_given_value_and_from_is_refused_writing_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    _differing(envkeep)

    result = envkeep("lift", f"LOG_LEVEL={GIVEN}", "--from", "api", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert result.err_lines[0] == (
        "error: --from api chooses nothing: every name gives its value (NAME=VALUE)"
    ), result.describe()
    assert "LOG_LEVEL" not in stored(envkeep, "dev")


def test_share_from_still_chooses_for_a_name_given_without_a_value(
    envkeep: Envkeep, project: Path
) -> None:
    _differing(envkeep)

    result = envkeep("lift", f"LOG_LEVEL={GIVEN}", "TTL", "--from", "worker", "--env", "dev",
                     "--yes")  # fmt: skip

    assert result.code == 0, result.describe()
    shared = stored(envkeep, "dev")
    assert (shared["LOG_LEVEL"][0], shared["TTL"][0]) == (GIVEN, "2")
