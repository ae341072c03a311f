"""`share --suggest` reads the environment's variables once, not once per name: with 4,000
names in a service and the shared scope it took 4 min 37 s (1 s now). Its answers are as
before: names two services hold alike, and overrides holding the shared value."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from envkeep.client import opening
from envkeep.client.shared_values import Candidate, suggest_lifts
from tests.counted_reads import CountedRead, variable

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext


def test_suggest_lists_the_variables_once_and_finds_the_candidates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variables = [variable(f"V{i}", "x", s) for i in range(50) for s in ("api", "worker")]
    variables += [variable("S", "1", "shared"), variable("S", "1", "api")]
    variables += [variable("D", "a", "api"), variable("D", "b", "worker")]
    opened = CountedRead(variables)
    monkeypatch.setattr(opening, "open_all_scopes", lambda ctx, env: opened)

    found = suggest_lifts(cast("ClientContext", object()), "dev")

    assert opened.listed == 1
    assert Candidate("S", ("api",), same_as_shared=True) in found
    assert Candidate("V7", ("api", "worker"), same_as_shared=False) in found
    assert "D" not in [c.name for c in found]
    assert len(found) == 51
