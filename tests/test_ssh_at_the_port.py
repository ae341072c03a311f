"""A URL whose port is an SSH server's (``http://host:22``) says so, and to check the port: the
SSH server sends its banner and closes on the HTTP request, which read as "sent no complete
answer (connection closed before any answer)", "check whether the server runs"
(`ssh_banner`, `network_words.not_http`)."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import EnvkeepError, NotAnEnvkeepRoute
from tests.hostile_server import Handler, reply, serving
from tests.server import cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"


@contextlib.contextmanager
def _ssh(*, speaks_first: bool) -> Iterator[str]:
    """A raw TCP service that answers as an SSH server does: its banner (on connecting, or
    once the request came), then OpenSSH's words for an identification it cannot read, then it
    closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                connection, _address = listener.accept()
                with connection:
                    if speaks_first:
                        connection.sendall(BANNER)
                    connection.recv(65536)
                    if not speaks_first:
                        connection.sendall(BANNER)
                    connection.sendall(b"Invalid SSH identification string.\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def _error(url: str, method: str) -> EnvkeepError:
    api = ApiClient(url, proxies={})
    try:
        with pytest.raises(EnvkeepError) as raised:
            api.request(method, "/v1/whoami", json={} if method == "POST" else None)
    finally:
        api.close()
    return raised.value


@pytest.mark.parametrize("speaks_first", [True, False])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_ssh_server_at_the_port_is_named_with_the_port_to_check(
    method: str, *, speaks_first: bool
) -> None:
    with _ssh(speaks_first=speaks_first) as url:
        error = _error(url, method)

    assert type(error) is NotAnEnvkeepRoute
    assert error.message == f"an SSH server answers at {url}, not envkeep server"
    assert str(error.hint).startswith("check the port in the server URL")
    assert "may have been applied" not in str(error.hint)  # no envkeep took the change


def test_an_http_answer_that_mentions_ssh_is_still_an_answer() -> None:
    def answer(handler: Handler, _body: bytes) -> None:
        reply(handler, 200, [("Content-Type", "application/json")], b'{"SSH-2.0": 1}')

    with serving(answer) as (url, _seen):
        api = ApiClient(url, proxies={})
        try:
            assert api.request("GET", "/v1/whoami") == {"SSH-2.0": 1}
        finally:
            api.close()


def test_login_at_an_ssh_port_says_so(tmp_path: Path) -> None:
    with _ssh(speaks_first=True) as url:
        done = cli(tmp_path / "home", tmp_path, "login", url, "--email", "a@b.io",
                   ENVKEEP_PASSPHRASE="a passphrase", NO_PROXY="*")  # fmt: skip

    assert done.returncode == 5, done.stderr
    assert f"error: an SSH server answers at {url}, not envkeep server" in done.stderr
    assert "check the port in the server URL" in done.stderr
    assert "OpenSSH" not in done.stderr  # the banner is the other program's to write
