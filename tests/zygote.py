"""A process that has imported envkeep once and forks a child for each `envkeep` command a test
runs (``tests/forked.py`` is its client). Run as a script, never imported by the tests.

A new `envkeep` process spends about 0.3 s starting Python and importing its modules before it
does anything; thousands of them made most of the suite's time. A child forked from here is a
real process all the same: its own pid, its own standard input, output and error (the test's
pipes, passed over the socket), environment, working directory, umask and argv, and its exit
status as the test sees it (``subprocess`` returncode: negative for a signal). It runs the
console script's ``main`` and leaves Python the usual way, so buffered output is flushed and
``atexit`` handlers run. What it shares is only what importing did, which reads nothing of the
environment in envkeep's own modules (``environ.py`` and ``settings.py`` read it when asked);
the client sends a command to a real new process instead when the environment differs in what
Python or a library reads at start-up.

The zygote ends when its standard input does: the client holds the other end of that pipe, so
a test process that dies, even by SIGKILL, leaves no zygote behind.

Protocol: once ready, the zygote writes ``ready`` and the JSON list of the environment variables
its imports read to its stderr. Then one connection a command: the client sends a 4-byte length
and the three descriptors (stdin, stdout, stderr), then that many bytes of JSON (args, env, cwd,
umask). The zygote answers the child's pid (8 bytes) at once and its exit status (4 bytes,
signed) when it ends; a byte from the client meanwhile has the zygote kill the child (through
its pidfd, so never another process that took its pid).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import pkgutil
import selectors
import signal
import socket
import sqlite3
import struct
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

# Modules a command may import lazily that are worth having once: the package's own (but not
# ``__main__``, which runs the CLI, nor Alembic's migration scripts, which run on import), and
# the libraries those import only inside functions.
_SKIP = ("envkeep.__main__", "envkeep.store.migrations")
_WSGI_HANDLERS = str(Path("wsgiref") / "handlers.py")
_LIBRARIES = ("httpx", "rich.console", "typer.rich_utils", "argon2", "cryptography")


def preload() -> list[str]:
    """Import envkeep's modules and the libraries above; the environment variables that
    importing read (a child would see the zygote's values of those, so the client sends a
    command whose values differ to a new Python)."""
    import envkeep

    read: set[str] = set()
    getitem = os._Environ.__getitem__

    def recorded(self: os._Environ[str], key: str) -> str:
        # Not `wsgiref.handlers`' walk over all of it at import (a WSGI server's environ, which
        # the CLI never serves): it would name every variable. Any other walk does.
        walker = sys._getframe(2).f_code.co_filename
        if not walker.endswith(_WSGI_HANDLERS) and isinstance(key, str):
            read.add(key)
        return getitem(self, key)

    os._Environ.__getitem__ = recorded  # type: ignore[method-assign,assignment]
    try:
        for module in pkgutil.walk_packages(envkeep.__path__, "envkeep."):
            if not module.name.startswith(_SKIP):
                importlib.import_module(module.name)
        for name in _LIBRARIES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    finally:
        os._Environ.__getitem__ = getitem  # type: ignore[method-assign]
    if threading.active_count() != 1:  # a fork would copy a thread's locks, not the thread
        raise RuntimeError(f"importing envkeep started threads: {threading.enumerate()}")
    return sorted(read)


def _receive(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    head, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
    while len(head) < 4:
        more = conn.recv(4 - len(head))
        if not more:
            raise ConnectionError("the client went away")
        head += more
    (size,) = struct.unpack("!I", head)
    data = bytearray()
    while len(data) < size:
        more = conn.recv(size - len(data))
        if not more:
            raise ConnectionError("the client went away")
        data += more
    return json.loads(data), fds


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In the child: take the test's descriptors, environment, directory and umask."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.umask(request["umask"])


class _Zygote:
    """The zygote's loop: requests in, children out, their statuses back."""

    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(0, selectors.EVENT_READ, "stdin")  # the client holds its end
        self.children: dict[int, tuple[int, int, socket.socket]] = {}  # pidfd -> (pid, …)

    def serve(self) -> dict[str, Any]:
        """Answer requests until stopped; return (only in a forked child) its request."""
        while True:
            for key, _events in self.selector.select():
                if self.selector.get_map().get(key.fd) is not key:
                    continue  # gone, or its descriptor reused, since this batch was selected
                if key.data == "accept":
                    request = self._accept()
                    if request is not None:
                        return request
                elif key.data == "stdin":
                    if not os.read(0, 4096):  # the test process has gone, however it went
                        os._exit(0)
                elif key.data == "kill":
                    self._kill(int(key.fd))
                else:
                    self._reap(int(key.fd))

    def _accept(self) -> dict[str, Any] | None:
        conn, _addr = self.listener.accept()
        fds: list[int] = []
        try:
            request, fds = _receive(conn)
            pid = os.fork()
        except (OSError, ValueError):  # the client falls back on a new Python
            conn.close()
            for fd in fds:
                os.close(fd)
            return None
        if pid == 0:
            self.selector.close()
            self.listener.close()
            for pidfd, (_pid, _conn_fd, other) in self.children.items():
                os.close(pidfd)
                other.close()
            conn.close()
            _become(request, fds)
            return request
        for fd in fds:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, conn.fileno(), conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "reap")
        self.selector.register(conn, selectors.EVENT_READ, "kill")
        with contextlib.suppress(OSError):
            conn.sendall(struct.pack("!q", pid))
        return None

    def _kill(self, conn_fd: int) -> None:
        """The client asks (one byte) for its child to be killed, or has gone."""
        for pidfd, (_pid, fd, conn) in self.children.items():
            if fd == conn_fd:
                self.selector.unregister(conn)
                with contextlib.suppress(OSError):
                    if conn.recv(1, socket.MSG_DONTWAIT):
                        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                return

    def _reap(self, pidfd: int) -> None:
        pid, _fd, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(conn)
        os.close(pidfd)
        _pid, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            conn.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))
        conn.close()


def _exit_code(done: SystemExit) -> int:
    """The status Python gives ``raise SystemExit(code)``, printing a message code as it does."""
    if done.code is None:
        return 0
    if isinstance(done.code, int):
        return done.code
    sys.stderr.write(f"{done.code}\n")
    return 1


def _close_what_teardown_would() -> None:
    """What tearing the modules down would have done that a test can see: files the command
    left open flushed, and SQLite connections closed (the last one out checkpoints the WAL and
    removes it). Objects made in the child only: the zygote's are frozen out of ``gc``."""
    gc.collect()
    for thing in gc.get_objects():
        if isinstance(thing, sqlite3.Connection):
            with contextlib.suppress(Exception):
                thing.close()
        elif isinstance(thing, io.IOBase) and not thing.closed:
            with contextlib.suppress(Exception):
                thing.flush()


def _leave(code: int, *, interrupted: bool = False) -> NoReturn:
    """Leave as Python does, less the tearing down of every module the zygote imported (most of
    a short command's time in a forked child): threads joined, ``atexit`` run, what teardown
    would close closed, output flushed; an uncaught Ctrl-C ends the process by SIGINT."""
    threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads, as at exit
    atexit._run_exitfuncs()
    _close_what_teardown_would()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def main() -> None:
    path, script = sys.argv[1], sys.argv[2]
    sys.path[0] = str(Path(script).parent)  # as for the console script, not this file's folder
    read = preload()
    gc.freeze()  # the children's collections leave the imported objects (and their pages) be
    zygote = _Zygote(path)
    sys.stderr.write("ready " + json.dumps(read) + "\n")
    sys.stderr.flush()
    request = zygote.serve()
    sys.argv = [script, *request["args"]]
    from envkeep.cli.entry import main as envkeep

    try:
        envkeep()
    except SystemExit as done:
        _leave(_exit_code(done))
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        _leave(1, interrupted=True)
    except BaseException:  # noqa: BLE001 - reported as Python reports it, then status 1
        sys.excepthook(*sys.exc_info())
        _leave(1)
    _leave(0)


if __name__ == "__main__":
    main()
