"""The test servers' ports: below the ephemeral range, in this worker's block, never one in use."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from tests import ports

if TYPE_CHECKING:
    import pytest


def test_ports_come_from_this_workers_block_below_the_ephemeral_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    base = ports.FIRST + 3 * ports.BLOCK
    handed = {ports.free_port() for _ in range(50)}
    assert all(base <= port < base + ports.BLOCK for port in handed)
    assert max(handed) < 32768
    assert len(handed) == 50  # consecutive calls do not hand out one port twice


def test_a_port_something_listens_on_is_never_handed_out() -> None:
    first = ports.free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", first))
        listener.listen()
        handed = [ports.free_port() for _ in range(ports.BLOCK)]
    assert first not in handed  # the counter went round the whole block, and skipped it
