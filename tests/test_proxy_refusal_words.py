"""A proxy that refuses a tunnel is said by its status, in envkeep's words, never by its reason
phrase: the phrase is the proxy's to write, and a hostile one's may hold anything (here a
token planted in it), which the message printed into a CI log (`network_words.proxy_refusal`)."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import UnreachableError
from tests.test_client_proxy import _read_head

if TYPE_CHECKING:
    from collections.abc import Iterator

PLANTED = "ek_sess_pl4nted-t0ken"
SERVER = "https://vault.invalid"  # never reached: the proxy refuses the tunnel to it


class _Refusing(socketserver.BaseRequestHandler):
    """Answers a CONNECT with the server's status line, then closes."""

    server: _RefusingProxy

    def handle(self) -> None:
        _read_head(self.request)
        self.request.sendall(self.server.status_line + b"\r\nContent-Length: 0\r\n\r\n")


class _RefusingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, status_line: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Refusing)
        self.status_line = status_line


@contextlib.contextmanager
def _refusing(status_line: bytes) -> Iterator[str]:
    proxy = _RefusingProxy(status_line)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()


def _refusal(status_line: bytes) -> tuple[str, UnreachableError]:
    with _refusing(status_line) as proxy:
        api = ApiClient(SERVER, proxies={"https": proxy})
        try:
            with pytest.raises(UnreachableError) as refused:
                api.request("GET", "/v1/whoami")
        finally:
            api.close()
    return proxy, refused.value


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "it answered 403: refused"),
        (407, "it answered 407: proxy credentials needed"),
        (502, "it answered 502: the server is out of its reach"),
        (418, "it answered 418"),
    ],
)
def test_a_proxy_refusing_a_tunnel_is_said_by_its_status_never_its_reason_phrase(
    status: int, words: str
) -> None:
    proxy, refused = _refusal(f"HTTP/1.1 {status} Denied {PLANTED}".encode())

    assert refused.message == f"the proxy {proxy} (HTTPS_PROXY) did not reach {SERVER} ({words})"
    assert PLANTED not in refused.message
    assert PLANTED not in str(refused.hint)


def test_a_proxy_asking_for_credentials_says_where_to_put_them() -> None:
    _proxy, refused = _refusal(b"HTTP/1.1 407 Proxy Authentication Required")

    assert str(refused.hint).startswith(
        "put the proxy's user and password in HTTPS_PROXY (http://user:password@host:port)"
    )


def test_a_reason_phrase_shaped_like_a_status_is_not_read_as_one() -> None:
    # the status is httpcore's number, the phrase after it only the proxy's words
    _proxy, refused = _refusal(f"HTTP/1.1 403 407 {PLANTED}".encode())

    assert refused.message.endswith("(it answered 403: refused)")
    assert not str(refused.hint).startswith("put the proxy's user and password")
