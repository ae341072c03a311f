"""A server that took the request and broke the exchange off is said in words from what broke
(the connection closed before any answer or partway through it, an answer that is not HTTP),
not as httpx's class name ("(RemoteProtocolError)"); one that did not answer in time says the
wait, not "(ReadTimeout)". Each meets a real socket."""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import UnreachableError
from tests.hostile_server import Answer, Handler, serving

if TYPE_CHECKING:
    from collections.abc import Iterator


def _closing_after(sent: bytes) -> Answer:
    def answer(handler: Handler, _body: bytes) -> None:
        handler.wfile.write(sent)
        handler.wfile.flush()
        handler.close_connection = True  # the server closes the socket once this returns

    return answer


def _refusal(url: str, method: str = "GET") -> UnreachableError:
    api = ApiClient(url, proxies={})
    try:
        with pytest.raises(UnreachableError) as refused:
            api.request(method, "/v1/whoami")
    finally:
        api.close()
    return refused.value


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        (b"", "connection closed before any answer"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{",
            "connection closed partway through the answer",
        ),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed answer: illegal header line"),
    ],
    ids=["closed-before", "closed-partway", "malformed"],  # not HTTP: test_something_else_answers
)
def test_a_broken_off_answer_says_what_broke_in_words(sent: bytes, words: str) -> None:
    with serving(_closing_after(sent)) as (url, _seen):
        refused = _refusal(url)

    assert refused.message == f"{url} sent no complete answer ({words})"
    assert "Error" not in refused.message
    assert "check whether the server runs" in str(refused.hint)


def test_a_write_broken_off_may_have_landed_and_the_hint_says_so() -> None:
    with serving(_closing_after(b"")) as (url, _seen):
        refused = _refusal(url, "POST")

    assert refused.message == f"{url} sent no complete answer (connection closed before any answer)"
    assert "may have been applied" in str(refused.hint)


@contextmanager
def _resetting(requests: int) -> Iterator[str]:
    """A socket that reads each of ``requests`` requests, then resets its connection (RST:
    SO_LINGER 0), as a server killed mid-request or a load balancer dropping it does."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(requests):
            connection, _address = listener.accept()
            connection.recv(65536)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(timeout=30)
        listener.close()


def test_a_connection_reset_after_the_request_is_not_cannot_reach_and_may_have_landed() -> None:
    with _resetting(2) as url:
        read = _refusal(url)
        written = _refusal(url, "POST")

    assert read.message == f"{url} sent no complete answer (connection reset)"
    assert "may have been applied" not in str(read.hint)
    assert "may have been applied" in str(written.hint)
