"""An answer whose status line and headers trickle in is cut at a deadline on its head
(`client/header_deadline`, `client/transport`): the read timeout is per read, so a byte every
few seconds held a command for as long as the server liked. The cut is a server out of reach
(exit 5: a read falls back on its kept copy), not a hostile answer, and it holds through a
proxy; an answer whose head comes in time is read as before."""

from __future__ import annotations

import time

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError
from tests.hostile_server import Handler, dripping_headers, serving
from tests.test_client_proxy import _proxy


def _refused(url: str, method: str, **given: object) -> tuple[UnreachableError, float]:
    api = ApiClient(url, headers_within=1.0, **given)  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(UnreachableError) as refused:
        api.request(method, "/v1/workspaces/w/projects")
    api.close()
    return refused.value, time.monotonic() - started


def test_a_head_that_drips_in_is_cut_at_its_deadline_as_a_server_out_of_reach() -> None:
    with serving(dripping_headers(0.05)) as (url, _seen):  # its head would take 14 s
        refused, took = _refused(url, "GET", proxies={})

    assert took < 4
    assert refused.message == (
        f"{url} sent the head of its answer too slowly: not all of it within 1 s"
    )
    assert not isinstance(refused, NotAnEnvkeepRoute)  # out of reach: a kept copy serves
    assert refused.exit_code == 5
    assert refused.hint == "check the network, then run the command again"


def test_a_write_cut_at_the_deadline_may_have_landed_and_the_hint_says_so() -> None:
    with serving(dripping_headers(0.05)) as (url, _seen):
        refused, _took = _refused(url, "POST", proxies={})

    assert refused.hint is not None
    assert "the change may have been applied" in refused.hint


def test_a_head_that_drips_in_through_a_proxy_is_cut_too() -> None:
    with serving(dripping_headers(0.05)) as (url, _seen), _proxy() as (proxy, seen):
        refused, took = _refused(url, "GET", proxies={"http": proxy})

    assert seen == [f"GET {url}/v1/workspaces/w/projects"]
    assert took < 4
    assert "sent the head of its answer too slowly" in refused.message


def _slow_body_after_a_quick_head(handler: Handler, _body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "8")
    handler.end_headers()
    handler.wfile.flush()
    time.sleep(1.5)  # past the head's deadline: the body is not under it
    handler.wfile.write(b'["shop"]')


def test_the_deadline_ends_with_the_head_and_a_quick_answer_is_read() -> None:
    with serving(_slow_body_after_a_quick_head) as (url, _seen):
        api = ApiClient(url, headers_within=1.0, proxies={})
        got = api.request("GET", "/v1/workspaces/w/projects")
        again = api.request("GET", "/v1/workspaces/w/projects")  # a kept-alive connection
        api.close()

    assert got == again == ["shop"]
