"""`client/send_queue` tells what a connection's kernel still holds of what it was sent: the
bytes a peer has not taken yet, none once it has (Linux; elsewhere it does not tell)."""

from __future__ import annotations

import socket
import sys
import time

import httpcore
import pytest

from envkeep.client import send_queue

_SENT = 128 * 1024

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SIOCOUTQ is Linux's")


def test_bytes_a_peer_has_not_taken_are_still_queued_and_none_once_it_has() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    room = [(socket.SOL_SOCKET, socket.SO_SNDBUF, 512 * 1024)]  # so the write does not block
    stream = httpcore.SyncBackend().connect_tcp(
        "127.0.0.1", listener.getsockname()[1], socket_options=room
    )
    peer, _ = listener.accept()
    with peer, listener:
        stream.write(b"x" * _SENT)
        held = send_queue.queued(stream)
        assert held is not None
        assert held > _SENT // 2  # the peer's small buffer took little of it

        got = 0
        while got < _SENT:
            got += len(peer.recv(64 * 1024))
        until = time.monotonic() + 5  # its acknowledgements, on this machine
        while send_queue.queued(stream) and time.monotonic() < until:
            time.sleep(0.01)
        assert send_queue.queued(stream) == 0
        assert send_queue.could_hold(stream) > 0
        stream.close()
