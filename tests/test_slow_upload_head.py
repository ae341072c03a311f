"""The deadline on an answer's head (`client/header_deadline`) after a request body: a write
moves it on by the time the write took, and once more, when it comes, by what the kernel still
held of the body at 4 KiB/s if some of it is still in flight. A body sent quickly leaves the
server its deadline (a 16 MiB import gave a server dripping its head up to an hour, at 4 KiB/s
a write); a server that never reads the body holds the command only for that body's time."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import UnreachableError
from tests.hostile_server import dripping_headers, serving

if TYPE_CHECKING:
    from collections.abc import Iterator

_BODY_BYTES = 256 * 1024  # 64 s at 4 KiB/s; sent to a stub on this machine in milliseconds
_UNREAD_BYTES = 24 * 1024  # 6 s at 4 KiB/s


def test_a_head_that_drips_in_after_a_quickly_sent_body_is_cut_at_its_deadline() -> None:
    with serving(dripping_headers(0.05)) as (url, seen):  # its head would take 14 s
        api = ApiClient(url, headers_within=1.0, proxies={})
        started = time.monotonic()
        with pytest.raises(UnreachableError) as refused:
            api.request("POST", "/v1/workspaces/w/import", json={"v": "x" * _BODY_BYTES})
        took = time.monotonic() - started
        api.close()

    assert seen == [("POST", "/v1/workspaces/w/import")]  # the body was sent and read
    assert took < 4
    assert "sent the head of its answer too slowly: not all of it within 1 s" in (
        refused.value.message
    )


@contextlib.contextmanager
def _never_reading_the_body() -> Iterator[str]:
    """A server that takes the connection, reads one byte, and then neither reads nor
    answers until the test is done with it."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # little held on its side
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()

    def hold() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1)
            done.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(timeout=10)
        listener.close()


def test_a_body_the_server_never_reads_holds_the_command_only_for_its_time_in_flight() -> None:
    with _never_reading_the_body() as url:
        api = ApiClient(url, headers_within=1.0, proxies={})
        started = time.monotonic()
        with pytest.raises(UnreachableError) as refused:
            api.request("POST", "/v1/workspaces/w/import", json={"v": "x" * _UNREAD_BYTES})
        took = time.monotonic() - started
        api.close()

    assert "sent the head of its answer too slowly" in refused.value.message
    assert took > 2  # the body was still in flight at 1 s: the deadline was moved on
    assert took < 1 + _UNREAD_BYTES / 4096 + 2  # once, by at most the body's time at 4 KiB/s
