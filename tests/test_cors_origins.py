"""The origins `--cors-origin` takes (`envkeep.cors_origins`): written as browsers send them, so
that the server compares exact strings; anything more than scheme, host and port refused."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from envkeep.core.errors import UsageError
from envkeep.cors_origins import checked_origin, checked_origins

DEFAULT_PORTS = {"http": 80, "https": 443}
LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True)


@given(
    scheme=st.sampled_from(sorted(DEFAULT_PORTS)),
    labels=st.lists(LABELS, min_size=1, max_size=4),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    rest=st.sampled_from(["/", "/app", "?q=1", "#top"]),
)
def test_an_origin_is_taken_as_a_browser_writes_it_and_nothing_more_is(
    scheme: str, labels: list[str], port: int | None, rest: str
) -> None:
    assume(not (labels[-1].isdigit() or labels[-1].startswith("0x")))  # read as IPv4 (below)
    host = ".".join(labels)
    written = f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"
    default = port in (None, DEFAULT_PORTS[scheme])
    expected = f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"
    assert checked_origin(written.upper(), "--cors-origin") == expected
    assert checked_origin(expected, "--cors-origin") == expected
    with pytest.raises(UsageError, match="is not a web origin: it has a path, query or fragment"):
        checked_origin(written + rest, "--cors-origin")


def test_an_ipv6_host_is_written_in_brackets_as_browsers_compress_it() -> None:
    assert checked_origin("http://[0:0:0:0:0:0:0:1]:3000", "x") == "http://[::1]:3000"
    with pytest.raises(UsageError, match="names no host"):
        checked_origin("http://[::1:3000", "x")


def test_origins_are_each_taken_once_in_order_and_blanks_left_out() -> None:
    given_origins = ["https://b.io", " ", "https://a.io", "HTTPS://B.IO:443", ""]
    assert checked_origins(given_origins, "x") == ("https://b.io", "https://a.io")


def test_a_host_a_browser_would_send_otherwise_is_refused_not_left_to_never_match() -> None:
    assert checked_origin("http://127.0.0.1:3000", "x") == "http://127.0.0.1:3000"
    for loose in ("http://127.1", "http://0x7f.0.0.1", "http://2130706433", "http://010.0.0.1"):
        with pytest.raises(UsageError, match="reads as an IPv4 address but is not one"):
            checked_origin(loose, "x")
    with pytest.raises(UsageError, match="names no host"):
        checked_origin("http://[fe80::1%eth0]", "x")  # a zone id never leaves the machine
    with pytest.raises(UsageError, match="xn-- form"):
        checked_origin("https://bücher.example", "x")
