"""The server's request log line: structlog's JSON line, written once per turn of the loop."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
import structlog

from envkeep.api.requestlog import RequestLog

FIELDS = {
    "request_id": "0123abcd",
    "method": "GET",
    "route": "/v1/workspaces/{workspace_id}",
    "status": 200,
    "ms": 1.25,
    "principal": None,
}


class Stream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def stderr() -> Stream:
    return Stream()


def test_the_line_is_the_one_structlog_renders(stderr: Stream) -> None:
    rendered = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(rendered),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
    )
    logger.info("request", **FIELDS)
    RequestLog(stderr)(**FIELDS)
    ours, theirs = json.loads(stderr.getvalue()), json.loads(rendered.getvalue())
    assert list(ours) == list(theirs)  # the same keys in the same order
    assert ours["timestamp"].endswith("Z")
    assert theirs["timestamp"].endswith("Z")
    del ours["timestamp"], theirs["timestamp"]
    assert ours == theirs
    assert '"event": "request"' in stderr.getvalue()  # what tests/server.py looks for


def test_lines_of_one_turn_of_the_loop_are_written_together(stderr: Stream) -> None:
    log = RequestLog(stderr)

    async def requests() -> int:
        for status in (200, 404, 500):
            log(**{**FIELDS, "status": status})
        held = stderr.getvalue()
        await asyncio.sleep(0)  # the turn ends: the lines are written
        assert held == ""
        return stderr.writes

    assert asyncio.run(requests()) == 1
    lines = stderr.getvalue().splitlines()
    assert [json.loads(line)["status"] for line in lines] == [200, 404, 500]


def test_without_a_loop_a_line_is_written_at_once(stderr: Stream) -> None:
    RequestLog(stderr)(**FIELDS)
    assert json.loads(stderr.getvalue())["request_id"] == "0123abcd"


def test_a_long_turn_does_not_hold_more_than_a_batch(stderr: Stream) -> None:
    log = RequestLog(stderr)

    async def many() -> str:
        for _ in range(300):
            log(**FIELDS)
        return stderr.getvalue()

    held = asyncio.run(many())
    assert len(held.splitlines()) == 256
    assert len(stderr.getvalue().splitlines()) == 300


def test_lines_go_to_stderr_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    RequestLog()(**FIELDS)
    assert json.loads(capsys.readouterr().err)["route"] == FIELDS["route"]
