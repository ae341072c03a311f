"""A request whose body takes long to send (a big import over a slow uplink: the server takes
up to 16 MiB) is not cut by the deadline on its answer's head (`client/header_deadline`): the
deadline bounds a server that sends its head slowly, and a body still in flight when it comes
moves it on by the time it may take at the slowest rate an honest link is allowed
(`answer_size.SLOWEST_BYTES_A_SECOND`), however soon the kernel took the body from it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import TYPE_CHECKING

from envkeep.client.api_client import ApiClient

if TYPE_CHECKING:
    from collections.abc import Iterator

_BODY_BYTES = 2 * 1024 * 1024
_READ_BYTES = 128 * 1024
_READ_EVERY = 0.03  # a pause a read: 2 MiB through a 16 KiB buffer takes past the 1 s deadline


def _read_slowly_then_answer(listener: socket.socket, received: list[int]) -> None:
    connection, _ = listener.accept()
    with connection:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(1)
        head = data.decode("latin-1").lower()
        length = int(head.split("content-length:")[1].split("\r\n")[0])
        got = 0
        while got < length:
            chunk = connection.recv(min(_READ_BYTES, length - got))
            if not chunk:  # the client gave up
                return
            got += len(chunk)
            time.sleep(_READ_EVERY)
        received.append(got)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\n[]"
        )


@contextlib.contextmanager
def _slow_reader() -> Iterator[tuple[str, list[int]]]:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)  # no big kernel buffer
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received: list[int] = []
    thread = threading.Thread(target=_read_slowly_then_answer, args=(listener, received))
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        thread.join(timeout=30)
        listener.close()


def test_a_body_slower_to_send_than_the_head_deadline_is_still_sent_and_answered() -> None:
    with _slow_reader() as (url, received):
        api = ApiClient(url, headers_within=1.0, proxies={})
        started = time.monotonic()
        got = api.request("POST", "/v1/workspaces/w/import", json={"v": "x" * _BODY_BYTES})
        took = time.monotonic() - started
        api.close()

    assert got == []
    assert len(received) == 1
    assert received[0] > _BODY_BYTES
    assert took > 1.0  # it did outlast the deadline, so the deadline was extended
