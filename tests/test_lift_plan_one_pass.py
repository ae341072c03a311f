"""`lift A B C …` reads the environment's variables once, not once per name: 200 names over
30 services of 200 variables took 14-19 s to plan (`lift --dry-run`, embedded store), 1 s now.
Its plans are as before: each name's value, the overrides removed and kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from envkeep.client import broken_references, shared_values
from envkeep.client.shared_values import Move, Refused, plan_lift
from tests.counted_reads import CountedRead, variable

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext


def test_lift_lists_the_variables_once_and_plans_each_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = ["api", "web", "worker"]
    variables = [variable(f"V{i}", "x", s) for i in range(50) for s in services]
    variables += [variable("D", "a", "api"), variable("D", "b", "worker")]
    variables += [variable("D", "b", "web")]
    opened = CountedRead(variables, services)
    monkeypatch.setattr(shared_values, "open_for_write", lambda *_a, **_k: opened)
    monkeypatch.setattr(broken_references, "unresolved_by_writes", lambda *_a: [])
    names = [*(f"V{i}" for i in range(50)), "D"]

    plan = plan_lift(cast("ClientContext", object()), "dev", names, check=False, list_refused=True)

    assert opened.listed == 1
    assert len(plan.moves) == 50
    assert plan.moves[7] == Move("V7", "x", "new", tuple(services), (), (), tuple(services))
    assert plan.refused == (Refused("D", (("web", "worker"), ("api",))),)
