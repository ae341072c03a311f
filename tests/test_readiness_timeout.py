"""/readyz answers in bounded time when the database hangs: a PostgreSQL that takes
connections and never answers (as a stopped postmaster does) is 503 "does not answer in time"
after the readiness bound, not a probe left without an answer; and probes that keep coming
share the one check still running, rather than each holding a worker thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import httpx
from structlog.testing import capture_logs

from envkeep.api.app import create_app
from envkeep.api.routes_ops import Readiness

BOUND = 0.5  # the test's readiness bound


def _accepting(listener: socket.socket, accepted: list[socket.socket]) -> None:
    """Take every connection, answer none (a frozen database server)."""
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:  # the test closed the listener
            return
        accepted.append(connection)


async def _probe(url: str, silent: socket.socket) -> list[tuple[httpx.Response, float]]:
    app = create_app(url, rate=0)
    app.state.readiness = Readiness(timeout=BOUND)
    answers: list[tuple[httpx.Response, float]] = []
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for _ in range(3):
                started = time.monotonic()
                answer = await asyncio.wait_for(client.get("/readyz"), 8)
                answers.append((answer, time.monotonic() - started))
    finally:
        # The accept waiting on it returns (closing alone left the thread that called it
        # blocked, and the socket listening, until the worker ended); the check blocked on
        # it gives up: its thread ends.
        silent.shutdown(socket.SHUT_RDWR)
        silent.close()
        app.state.envkeep.close()
    return answers


def test_readiness_on_a_database_that_never_answers_is_503_in_bounded_time() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        accepted: list[socket.socket] = []
        taker = threading.Thread(target=_accepting, args=(silent, accepted), daemon=True)
        taker.start()
        url = f"postgresql://envkeep@127.0.0.1:{silent.getsockname()[1]}/keep"
        with capture_logs() as logged:
            answers = asyncio.run(_probe(url, silent))
    taker.join(10)
    assert not taker.is_alive()
    for answer, took in answers:
        assert answer.status_code == 503
        assert answer.json()["title"] == "the database does not answer in time"
        assert BOUND <= took < BOUND + 2
    assert len(accepted) == 1  # one check, shared by the probes that came while it hung
    lines: list[Any] = [line for line in logged if line.get("event") == "request"]
    assert lines[0]["database_error"] == f"no answer within {BOUND:g} s"
    for connection in accepted:
        connection.close()


def test_a_check_that_answers_in_time_is_shared_and_a_later_request_gets_a_new_one() -> None:
    calls: list[int] = []

    def probe() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "0012"

    async def ask() -> list[str | Exception | None]:
        checks = Readiness(timeout=2)
        together = await asyncio.gather(*(checks.revision(probe) for _ in range(5)))
        later = await checks.revision(probe)
        return [*together, later]

    assert asyncio.run(ask()) == ["0012"] * 6
    assert 2 <= len(calls) <= 3  # the first check, at most one more for those who came after
