"""`promote` without names reads each environment once to plan: the source's names were read a
second time to tell names asked for that it lacks, when none were asked (a full read of an
environment of thousands of variables, decrypted, for nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.promotion import plan_promotion
from tests.counted_reads import backend_reads

from .conftest import quick_ok

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep


def test_a_promotion_of_every_name_reads_the_source_and_the_target_once(
    client: ClientContext, envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "PORT=8000", "--env", "dev")
    reads = backend_reads(client, monkeypatch)

    plan = plan_promotion(client, "dev", "staging")

    assert {d.name for d in plan.differences} >= {"LOG_LEVEL", "PORT"}
    assert sorted(reads) == ["dev", "staging"]


def test_a_promotion_of_named_values_still_tells_a_name_the_source_lacks(
    client: ClientContext, envkeep: Envkeep
) -> None:
    import pytest

    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "--env", "dev")

    from envkeep.core.errors import UsageError

    with pytest.raises(UsageError, match="not set in 'dev': NOPE"):
        plan_promotion(client, "dev", "staging", ["LOG_LEVEL", "NOPE"])
