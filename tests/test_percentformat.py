"""The bare-value fast path of `percent_format` gives the general path's format."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from envkeep.core._refsyntax import _general_format, percent_format

_NAMES = st.sampled_from(("A", "svc.A", "svc.a.b", "x-1.Y_2", "_", "A..B", "9", ""))
_LITERALS = st.text(alphabet="$}{%./:aZ9 -", max_size=4)
_BRACED = st.builds(lambda name: f"${{{name}}}", _NAMES)
_VALUES = st.lists(st.one_of(_LITERALS, _BRACED), max_size=5).map("".join)


@given(st.one_of(_VALUES, st.text(alphabet="${}%.aA_:/ -9", max_size=16)))
@example("${svc002.VAR_005}:11")
@example("https://${HOST}:${PORT}/x")
@example("${svc.a.b}.x${C}")
@example("5% ${svc.A}")
def test_bare_values_get_the_general_paths_format(raw: str) -> None:
    expected = None if "$$" in raw else _general_format(raw)
    assert percent_format(raw) == expected


def test_bare_cross_service_value_has_its_dots_slashed() -> None:
    assert percent_format("${svc.a.b}:1${C}") == "%(svc/a/b)s:1%(C)s"
