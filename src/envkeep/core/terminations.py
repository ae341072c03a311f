"""SIGTERM and SIGHUP (`kill`, a terminal closed) taken as Ctrl-C while a command holds
something in clear that its cleanup removes: Python's default for them ends the process at
once, and no `finally` runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType


def interrupt_on_termination() -> Callable[[], None]:
    """Make SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread, as Ctrl-C does;
    return what puts the handlers back. A signal ignored (``nohup``) stays ignored; off the
    main thread, where Python cannot handle signals, nothing changes."""
    import signal

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    kept: dict[signal.Signals, Callable[[int, FrameType | None], object] | int | None] = {}
    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        found = getattr(signal, name, None)
        if found is None or signal.getsignal(found) == signal.SIG_IGN:
            continue
        try:
            kept[found] = signal.signal(found, interrupt)
        except ValueError:  # not the main thread
            break

    def restore() -> None:
        for number, handler in kept.items():
            signal.signal(number, handler)

    return restore
