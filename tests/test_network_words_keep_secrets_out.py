"""The words of a network failure never repeat the error's own text: h11's LocalProtocolError
says "Illegal header value b'Bearer …'", the session token itself, and the "cannot reach"
line went to a CI job's log with it. Each httpx class is said by what it stands for."""

from __future__ import annotations

import pytest

from envkeep.client._httpx import httpx
from envkeep.client.api_client import ApiClient
from envkeep.client.network_words import what_failed
from envkeep.core.errors import UnreachableError
from tests.hostile_server import Handler, reply, serving

SECRET = "s3cr3t-c4n4ry"
# A token a hostile server handed out at login, with a line break HTTP forbids in a header.
BROKEN_TOKEN = f"ek_sess_{SECRET}\n"


# What each httpx class is said as, with nothing under it (a socket's error says more).
WORDS = {
    httpx.TransportError: "the connection failed",
    httpx.NetworkError: "the connection failed",
    httpx.TimeoutException: "timed out",
    httpx.ConnectTimeout: "timed out connecting",
    httpx.ReadTimeout: "timed out waiting for the answer",
    httpx.WriteTimeout: "timed out sending",
    httpx.PoolTimeout: "timed out waiting for a free connection",
    httpx.ConnectError: "could not connect",
    httpx.ReadError: "the connection failed while reading",
    httpx.WriteError: "the connection failed while sending",
    httpx.CloseError: "the connection failed while closing",
    httpx.ProxyError: "the proxy did not carry the request",
    httpx.UnsupportedProtocol: "not an http:// or https:// URL",
    httpx.ProtocolError: "the connection failed",
    httpx.LocalProtocolError: "the request could not be sent as valid HTTP",
    httpx.RemoteProtocolError: "the answer was not valid HTTP",
}


def _every_transport_error() -> list[type[httpx.TransportError]]:
    """httpx's own classes (envkeep's HeadersTooSlow is said before these words are asked)."""
    found: list[type[httpx.TransportError]] = []
    waiting = [httpx.TransportError]
    while waiting:
        kind = waiting.pop()
        if kind.__module__.startswith("httpx"):
            found.append(kind)
        waiting.extend(kind.__subclasses__())
    return found


def test_a_token_httpx_refuses_to_send_is_not_repeated_in_the_message() -> None:
    def answer(handler: Handler, _body: bytes) -> None:
        reply(handler, 200, [], b"{}")

    with serving(answer) as (url, _seen):
        api = ApiClient(url, token=BROKEN_TOKEN, proxies={})
        try:
            with pytest.raises(UnreachableError) as refused:
                api.request("GET", "/v1/whoami")
        finally:
            api.close()

    assert SECRET not in refused.value.message, refused.value.message
    assert SECRET not in str(refused.value.hint)
    assert (
        refused.value.message == f"cannot reach {url} (the request could not be sent as valid HTTP)"
    )


@pytest.mark.parametrize("kind", _every_transport_error(), ids=lambda kind: kind.__name__)
def test_every_httpx_error_class_is_said_in_its_words_not_its_text(
    kind: type[httpx.TransportError],
) -> None:
    said = what_failed(kind(f"http://user:{SECRET}@proxy.test:3128"))

    assert said == WORDS.get(kind, "the connection failed"), said
