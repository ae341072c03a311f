"""Where the server's structlog lines go: stderr, one JSON object per line (or, with
``--log-format text``, one readable line), written once per turn of the event loop.

structlog's `PrintLogger` prints and flushes each line: a system call for every request the
server answers. `LoopLogger` holds the lines logged while the event loop runs one turn (every
request that ends in it) and writes them together when the turn ends; a line logged where no
loop runs (start-up, a worker thread) is written at once, with whatever is held.

uvicorn's own records (its warnings and errors: a request the shutdown deadline cancelled, one
it could not parse, an address it could not bind) become lines of the same stream too
(`StdlibRecords`, installed by `UVICORN_LOG_CONFIG`), not plain text among the JSON.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.exc import StatementError

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import TextIO

__all__ = ["UVICORN_LOG_CONFIG", "LoopLogger", "StdlibRecords", "configure_logging", "stderr_lines"]

_HELD = 256  # lines held at most, whatever the loop is doing


class LoopLogger:
    """A structlog logger (its every level is `msg`) writing to ``stream`` (default: stderr as
    it is when the lines are written); safe to share between threads, whose lines keep the
    order in which they were logged."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._held: list[str] = []
        self._lock = threading.Lock()  # held while lines are taken and written
        self._flush_on: asyncio.AbstractEventLoop | None = None  # the loop that will flush

    def msg(self, message: str) -> None:
        """Log one rendered line."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: nothing would write it later
            loop = None
        with self._lock:
            self._held.append(message)
            full = len(self._held) >= _HELD
            # Another loop's flush may never run (that loop may stop first): this one's will.
            schedule = loop is not None and not full and self._flush_on is not loop
            if schedule:
                self._flush_on = loop
        if loop is None or full:
            self.flush()
        elif schedule:
            loop.call_soon(self.flush)

    log = debug = info = warning = warn = error = err = critical = fatal = exception = msg

    def flush(self) -> None:
        """Write the lines held so far."""
        with self._lock:
            lines, self._held = self._held, []
            self._flush_on = None
            if lines:
                stream = self._stream or sys.stderr  # looked up each time: it may be redirected
                stream.write("\n".join(lines) + "\n")
                stream.flush()


_STDERR: LoopLogger | None = None


def stderr_lines(*_args: object) -> LoopLogger:
    """The process's `LoopLogger` on stderr, as a structlog logger factory (one for every
    logger: they share the held lines and their order); what is held at exit is written."""
    global _STDERR  # noqa: PLW0603 -- one per process, made on first use
    if _STDERR is None:
        _STDERR = LoopLogger()
        atexit.register(_STDERR.flush)
    return _STDERR


_LINE = json.JSONEncoder(default=repr)


def _render_line(event: Any, **_options: Any) -> str:
    """structlog's ``JSONRenderer`` serializer: ``json.dumps`` of the event with ``default=repr``,
    one encoder for every line (``json.dumps`` with options makes one a call)."""
    return _LINE.encode(event)


def _hide_sql_parameters(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Before a traceback is rendered: SQLAlchemy's errors print the statement's parameters
    (token hashes, ciphertext, emails), which a log has no use for; its message keeps the SQL."""
    error = event.get("exc_info")
    if error is True:  # `log.exception(...)`: the one being handled
        error = sys.exc_info()[1]
    elif isinstance(error, tuple):
        error = error[1]
    seen: set[int] = set()
    while isinstance(error, BaseException) and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, StatementError):
            error.hide_parameters = True
        error = error.__cause__ or error.__context__
    return event


def configure_logging(log_format: str = "json") -> None:
    """structlog: one JSON object per line on stderr (``log_format`` ``text``: the same fields
    as a readable line, ``timestamp [level] event key=value …``), the lines of one turn of the
    event loop written together (`requestlog.LoopLogger`); an exception logged becomes the
    ``exception`` field of its line (its traceback as text, SQL parameters left out), which a
    text line prints below it."""
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if log_format == "text"
        else structlog.processors.JSONRenderer(serializer=_render_line)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _hide_sql_parameters,
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=stderr_lines,
        cache_logger_on_first_use=True,
    )


_LEVELS = (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)


class StdlibRecords(logging.Handler):
    """A ``logging`` handler writing each record as a structlog line: its message as the
    ``event``, its level, the ``logger`` that made it, and its exception (a traceback as one
    field, as for the server's own errors)."""

    def emit(self, record: logging.LogRecord) -> None:
        # A level of its own (uvicorn's TRACE, 5) is written as the standard one below it.
        level = next((n for n in _LEVELS if record.levelno >= n), logging.DEBUG)
        try:
            structlog.get_logger().log(
                level,
                record.getMessage().strip(),
                logger=record.name,
                exc_info=record.exc_info or False,
            )
        except Exception:  # noqa: BLE001 -- as logging's own handlers: said on stderr, not raised
            self.handleError(record)


# uvicorn's `log_config`: its loggers ("uvicorn", "uvicorn.error", …) write through
# `StdlibRecords`, at the levels uvicorn sets from its `log_level`.
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"lines": {"()": StdlibRecords}},
    "loggers": {"uvicorn": {"handlers": ["lines"], "propagate": False}},
}
