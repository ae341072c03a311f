"""An answer no envkeep server gives, by its size: a server that streams without end, or
declares a body of gigabytes, is refused once past the client's bound (`client/answer_size`),
promptly and with the CLI's memory bounded, as no envkeep server's answer (exit 5), naming
the bound and the URL; a real server's answers pass."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from envkeep.client.answer_size import MIB, MOST_BYTES
from envkeep.client.api_client import ApiClient
from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError
from tests.hostile_server import Handler, endless, headers_then_stall, measured_login, serving

if TYPE_CHECKING:
    from pathlib import Path

import pytest


def test_a_login_to_a_server_that_streams_without_end_is_refused_with_bounded_memory(
    tmp_path: Path,
) -> None:
    with serving(endless) as (url, seen):
        started = time.monotonic()
        done = measured_login(url, tmp_path)
        took = time.monotonic() - started

    assert done["code"] == 5, done["stderr"]
    assert f"{url}{seen[0][1]} answered with more than 64 MiB" in done["stderr"]
    assert "hint: check the server URL" in done["stderr"]
    assert "Traceback" not in done["stderr"]
    assert took < 60
    # The bound, the interpreter and what envkeep imports; not the gigabytes streamed.
    assert done["peak"] < MOST_BYTES + 200 * MIB, done["peak"]


# Then it hangs: only the header says how much.
_DECLARES_TEN_GIB = headers_then_stall(
    [("Content-Type", "application/json"), ("Content-Length", str(10 * 1024 * MIB))],
    b"[" + b"0," * 1000,
)


def test_an_answer_declaring_more_than_the_bound_is_refused_before_its_body_is_read() -> None:
    with serving(_DECLARES_TEN_GIB) as (url, _seen):
        api = ApiClient(url)
        started = time.monotonic()
        with pytest.raises(NotAnEnvkeepRoute) as refused:
            api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert time.monotonic() - started < 5  # not a read timeout: refused on the header
    assert str(refused.value) == (
        f"{url}/v1/workspaces/w/projects answered with more than 64 MiB, more than any envkeep"
        " server's answer holds; it was not read"
    )


def _trickles(handler: Handler, _body: bytes) -> None:
    """A 200 whose body comes a byte at a time, each well within the read timeout."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for _ in range(100):  # 10 s, then it ends
        handler.wfile.write(b"1\r\n \r\n")
        handler.wfile.flush()
        time.sleep(0.1)
    handler.wfile.write(b"0\r\n\r\n")


def test_an_answer_that_trickles_in_is_refused_once_past_its_grace() -> None:
    import httpx

    from envkeep.client.answer_size import read_within

    with serving(_trickles) as (url, _seen), httpx.Client() as client:
        started = time.monotonic()
        with (
            client.stream("GET", f"{url}/v1/workspaces/w/audit") as response,
            pytest.raises(UnreachableError) as refused,
        ):
            read_within(response, MOST_BYTES, grace=0.5)

    assert time.monotonic() - started < 5  # not the 10 s the body would take
    assert str(refused.value).startswith(
        f"{url}/v1/workspaces/w/audit sent its answer slower than 4 KiB/s ("
    )
    assert not isinstance(refused.value, NotAnEnvkeepRoute)  # out of reach: a kept copy serves
