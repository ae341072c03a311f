"""`promote` reads each environment once for the whole command: its schema checks and its
write go against the read of the target it was planned against (the target was read a second
time, every value decrypted again: a third of `promote --dry-run` of 9,000 variables)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.client import promotion
from tests.counted_reads import backend_reads

from .conftest import quick_ok

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep


def test_planning_checking_and_writing_a_promotion_reads_each_environment_once(
    client: ClientContext, envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "PORT=8000", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=9000", "--env", "staging")
    read = backend_reads(client, monkeypatch)

    planned = promotion.plan_promotion(client, "dev", "staging")
    prepared = promotion.prepare_promotion(client, "dev", "staging", planned)
    written = promotion.apply_promotion(client, prepared)

    assert sorted(read) == ["dev", "staging"]
    assert written == len(planned.differences) >= 2
    shown = json.loads(quick_ok(envkeep, "list", "--env", "staging", "--reveal", "--json").stdout)
    assert {(v["name"], v["value"]) for v in shown} >= {("PORT", "8000"), ("LOG_LEVEL", "debug")}
