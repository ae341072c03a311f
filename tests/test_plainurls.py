"""The joined-URL fast path accepts exactly the lines its first arrangement accepted."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from envkeep.core.valuetypes import _PLAIN_URL, _PLAIN_URLS_RE

_EACH_LINE_THEN_LAST = re.compile(rf"(?:{_PLAIN_URL}\n)*+{_PLAIN_URL}")
_PARTS = st.sampled_from(("https", "h", "://", ":", "8080", "65535", "65536", "/", "?", "#", "."))
_PIECES = st.one_of(_PARTS, st.text(alphabet="a:/9\n .-[]%", max_size=3))
_LINE = st.lists(_PIECES, max_size=8).map("".join)


@given(st.lists(_LINE, min_size=1, max_size=4).map("\n".join))
@example("https://a.example:8080/x?y#z\nhttp://h:65535/")
@example("https://a.example:65536/\nhttp://h/")
@example("http://h/\n")
def test_plain_urls_match_as_each_line_then_the_last(joined: str) -> None:
    expected = _EACH_LINE_THEN_LAST.fullmatch(joined) is not None
    assert (_PLAIN_URLS_RE.fullmatch(joined) is not None) == expected


def test_plain_urls_accept_ports_and_paths_on_every_line() -> None:
    assert _PLAIN_URLS_RE.fullmatch("https://a.example:8080/x?y#z\nhttp://h:65535/v1")
