"""The fast paths of `percent_format` (a bare value) and `percent_formats` (many values at
once) give the general path's formats."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from envkeep.core._refsyntax import _general_format, percent_format, percent_formats

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


@given(st.lists(st.one_of(_VALUES, st.text(alphabet="${}%.aA_:/ -9\x00", max_size=12)), max_size=6))
@example(["${svc.A}:1", "${B}"])  # all bare: one rewrite
@example(["${A}$", "{B}"])  # a `$` at the end of one value, `{` at the start of the next
@example(["${A", "}"])  # an unterminated reference
@example(["a\x00${B}", "${C}"])  # the separator inside a value
@example(["$${A}", "${B}"])
def test_many_values_get_the_format_of_each(raws: list[str]) -> None:
    assert percent_formats(raws) == [percent_format(raw) for raw in raws]
