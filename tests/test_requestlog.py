"""The server's log lines: structlog's JSON on stderr, the lines of one turn of the event loop
written together."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from typing import TYPE_CHECKING

import pytest
import structlog

from envkeep.api.requestlog import LoopLogger, StdlibRecords, configure_logging

if TYPE_CHECKING:
    from collections.abc import Iterator


class Stream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def configured() -> Iterator[None]:
    configure_logging()
    try:
        yield
    finally:
        structlog.reset_defaults()


@pytest.mark.usefixtures("configured")
def test_the_server_logs_json_lines_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("envkeep.api").info("request", request_id="r1", status=200, ms=1.5)
    line = json.loads(capsys.readouterr().err)
    assert list(line) == ["request_id", "status", "ms", "event", "level", "timestamp"]
    assert line["event"] == "request"
    assert line["timestamp"].endswith("Z")


@pytest.mark.usefixtures("configured")
def test_a_stdlib_record_is_one_json_line_at_a_standard_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = StdlibRecords()
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        failed = (type(error), error, error.__traceback__)
    for level, message, exc_info in [
        (logging.ERROR, "Exception in ASGI application\n", failed),
        (5, "a level of its own", None),  # uvicorn's TRACE
    ]:
        record = logging.LogRecord("uvicorn.error", level, __file__, 1, message, (), exc_info)
        handler.handle(record)
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert (first["event"], first["level"], first["logger"]) == (
        "Exception in ASGI application",
        "error",
        "uvicorn.error",
    )
    assert first["exception"].startswith("Traceback (most recent call last):")
    assert first["exception"].endswith("RuntimeError: boom")
    assert (second["event"], second["level"]) == ("a level of its own", "debug")


def test_lines_of_one_turn_of_the_loop_are_written_together() -> None:
    stream = Stream()
    log = LoopLogger(stream)

    async def requests() -> None:
        for status in (200, 404, 500):
            log.info(f'{{"status": {status}}}')
        assert stream.getvalue() == ""  # held until the turn ends
        await asyncio.sleep(0)

    asyncio.run(requests())
    assert stream.writes == 1
    assert [json.loads(line)["status"] for line in stream.getvalue().splitlines()] == [
        200,
        404,
        500,
    ]


def test_without_a_loop_a_line_is_written_at_once() -> None:
    stream = Stream()
    LoopLogger(stream).msg("one")
    assert stream.getvalue() == "one\n"


def test_a_long_turn_does_not_hold_more_than_256_lines() -> None:
    stream = Stream()
    log = LoopLogger(stream)

    async def many() -> str:
        for number in range(300):
            log.info(str(number))
        return stream.getvalue()

    held = asyncio.run(many())
    assert len(held.splitlines()) == 256
    assert stream.getvalue().splitlines() == [str(number) for number in range(300)]


def test_lines_from_other_threads_are_not_lost() -> None:
    stream = Stream()
    log = LoopLogger(stream)

    def worker(name: str) -> None:
        for number in range(200):
            log.info(f"{name}-{number}")

    async def mixed() -> None:
        threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(3)]
        for thread in threads:
            thread.start()
        for number in range(200):
            log.info(f"loop-{number}")
            if number % 50 == 0:
                await asyncio.sleep(0)
        for thread in threads:
            thread.join()
        await asyncio.sleep(0)

    asyncio.run(mixed())
    lines = stream.getvalue().splitlines()
    for source in ("t0", "t1", "t2", "loop"):  # every line, each source's in its own order
        assert [line for line in lines if line.startswith(f"{source}-")] == [
            f"{source}-{n}" for n in range(200)
        ]
    assert len(lines) == 800


class SlowFirstWrite(Stream):
    """A stream whose first write takes a while (a full pipe, a slow terminal)."""

    slow = True

    def write(self, text: str) -> int:
        if self.slow:
            self.slow = False
            time.sleep(0.2)
        return super().write(text)


def test_a_slow_write_does_not_let_a_later_line_overtake_it() -> None:
    stream = SlowFirstWrite()
    log = LoopLogger(stream)

    async def logs() -> None:
        log.info("a")
        log.info("b")

        def later() -> None:
            time.sleep(0.05)  # while a and b are being written
            log.info("c")

        worker = threading.Thread(target=later)
        worker.start()
        await asyncio.sleep(0)  # the turn ends: a and b are written, slowly
        worker.join()

    asyncio.run(logs())
    assert stream.getvalue().splitlines() == ["a", "b", "c"]


def test_lines_held_for_a_loop_that_stopped_are_written_by_the_next() -> None:
    stream = Stream()
    log = LoopLogger(stream)
    stopped = asyncio.new_event_loop()

    def first() -> None:
        log.info("first")  # its flush is scheduled for this loop's next turn, which never comes
        stopped.stop()

    stopped.call_soon(first)
    stopped.run_forever()
    stopped.close()
    held = stream.getvalue()

    async def second() -> None:
        log.info("second")
        await asyncio.sleep(0)

    asyncio.run(second())
    assert held == ""
    assert stream.getvalue().splitlines() == ["first", "second"]
