"""The plain-port fast path of the bulk port check accepts only ports, and every plain one."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from envkeep.core.valuetypes import _is_port, _plain_ports

_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6)


@given(st.lists(st.one_of(_DIGITS, st.text(min_size=1, max_size=6)), min_size=1, max_size=6))
@example(["65535", "1"])
@example(["65536"])
@example(["0"])
def test_plain_ports_are_ports(values: list[str]) -> None:
    if _plain_ports(values):
        assert all(map(_is_port, values))


@given(st.integers(min_value=1, max_value=65535))
def test_every_port_written_plainly_passes_the_fast_path(port: int) -> None:
    assert _plain_ports([str(port), "80"])


def test_ports_with_leading_zeros_or_other_digits_leave_the_fast_path() -> None:
    for value in ("0", "080", "00080", "65536", "99999", "100000", "\u0661\u0662", "8O"):
        assert not _plain_ports(["80", value]), value
