"""A SIGTERM while `envkeep server` starts, before it serves: the start ends with status 143
(what SIGTERM's default action gives, so a supervisor does not read it as a clean stop) after
a ``server_start_stopped`` line, its sockets and its database file closed on the way out.

SIGTERM's default action killed a process still importing or building its app without a
word. From the console script's first lines `hold` keeps a SIGTERM until the start knows
its log format and its address (`taken`), which then ends the start at once; a `server`
subcommand (migrate, bootstrap, …) gives SIGTERM its action back (`released`), and one held
meanwhile ends it as that action would have. An error before either (a usage error, a bad
--config) ends the process with its own message and status, the SIGTERM held dropped.
A SIGTERM before the first lines still kills the process: nothing of envkeep runs yet. That
window is the interpreter's own start with `site` (the editable install's ``.pth`` included)
and the console script's first imports: some 30 ms at best, 40-50 ms under load, over 100 ms
on a crowded machine (exec to `hold`'s ``rt_sigaction``, session 44).
Through ``_signal``: ``signal`` imports enum (17 ms), which would widen that window.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # no stub; CPython's own
import os

# A plain flag, not typing's (24 ms to import, widening the window a SIGTERM kills in), as
# threading and contextlib are not imported either: `hold` runs before anything else.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType, TracebackType
    from typing import NoReturn

    Action = Callable[[int, FrameType | None], object] | int | None

SIGTERM: int = _signal.SIGTERM
# What a shell reports for a process SIGTERM killed, and `docker ps` shows.
STOPPED_STARTING = 128 + SIGTERM


class StoppedStarting(SystemExit):
    """SIGTERM came before the server served: the process ends with `STOPPED_STARTING`."""

    def __init__(self) -> None:
        super().__init__(STOPPED_STARTING)


class _Held:
    """SIGTERMs that came while held, the action to give back, and whether the server has
    served (the process's: signals are, so one per process)."""

    came = 0
    kept: Action = None
    served = False


def serving() -> None:
    """The server serves from now on (its main loop began): a SIGTERM `taken` is then the stop
    asked for, status 0, up to the process's end (its sockets closed after it included)."""
    _Held.served = True


def _remember(_signum: int, _frame: FrameType | None) -> None:
    _Held.came += 1


def hold() -> None:
    """Keep a SIGTERM from now on, until `taken` or `released` (in the main thread only:
    another cannot set a signal's action); one ignored (the parent's choice) stays so."""
    kept = _signal.getsignal(SIGTERM)
    if kept == _signal.SIG_IGN:
        return
    _Held.kept, _Held.came = kept, 0  # before `_remember` is set: one may come at once
    try:
        _signal.signal(SIGTERM, _remember)
    except ValueError:  # not the main thread
        _Held.kept = None


def released(*, resend: bool = True) -> None:
    """SIGTERM's action as before `hold`; a SIGTERM held meanwhile is sent again, to end the
    process as it would have, or, not ``resend``, dropped: the command already ends with an
    error of its own, which says more. Nothing if not held."""
    if _Held.kept is None or _signal.getsignal(SIGTERM) is not _remember:
        return
    _signal.signal(SIGTERM, _Held.kept)
    came, _Held.kept, _Held.came = _Held.came, None, 0
    if came and resend:
        os.kill(os.getpid(), SIGTERM)


def stop_while_starting(address: object) -> NoReturn:
    """Say that a SIGTERM stopped the server on ``address`` before it served, and end it."""
    import structlog

    from envkeep.api.requestlog import stderr_lines

    structlog.get_logger("envkeep.server").warning(
        "server_start_stopped", address=address, signal="SIGTERM"
    )
    stderr_lines().flush()
    raise StoppedStarting


class taken:  # noqa: N801 - used as a function: `with taken(address):`
    """A SIGTERM ends the start (`stop_while_starting`) from now on, one held before at once,
    or, once the server `serving`, ends the process with 0 (a stop asked for: uvicorn raises
    it again once it has shut down); afterwards SIGTERM's action is as before `hold` (the
    logging must be configured). In the main thread only: another cannot set a signal's
    action. Nested (the start's, then `serve.run_app`'s), the inner gives the outer back."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.before: Action = None
        self.taking = False

    def __enter__(self) -> None:
        import threading  # imported long before a start gets here: no cost

        kept = _signal.getsignal(SIGTERM)
        # Ignored as the parent asked, until uvicorn serves: not set even for an instant.
        if kept == _signal.SIG_IGN or threading.current_thread() is not threading.main_thread():
            return
        # `_stopped` may run from the moment it is set, raising out of here, where no
        # `__exit__` follows: what it needs is ready before, and it is given back on the way.
        self.before, self.taking = (_Held.kept if kept is _remember else kept), True
        _Held.served = False
        try:
            _signal.signal(SIGTERM, self._stopped)
            _Held.kept = None
            if _Held.came:  # came while held: the start ends here
                _Held.came = 0
                self._give_back()
                stop_while_starting(self.address)
        except BaseException:
            self._give_back()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._give_back()

    def _give_back(self) -> None:
        if self.taking:
            self.taking = False
            before = self.before
            _signal.signal(SIGTERM, _signal.SIG_DFL if before is None else before)

    def _stopped(self, _signum: int, _frame: FrameType | None) -> NoReturn:
        if _Held.served:
            raise SystemExit(0)
        stop_while_starting(self.address)
