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

Protocol, one connection a command: the client sends a 4-byte length and the three descriptors
(stdin, stdout, stderr), then that many bytes of JSON (args, env, cwd, umask). The zygote answers
the child's pid (8 bytes) at once and its exit status (4 bytes, signed) when it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import pkgutil
import selectors
import socket
import struct
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

# Modules a command may import lazily that are worth having once: the package's own (but not
# ``__main__``, which runs the CLI, nor Alembic's migration scripts, which run on import), and
# the libraries those import only inside functions.
_SKIP = ("envkeep.__main__", "envkeep.store.migrations")
_LIBRARIES = ("httpx", "rich.console", "typer.rich_utils", "argon2", "cryptography")


def preload() -> None:
    import envkeep

    for module in pkgutil.walk_packages(envkeep.__path__, "envkeep."):
        if not module.name.startswith(_SKIP):
            importlib.import_module(module.name)
    for name in _LIBRARIES:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    if threading.active_count() != 1:  # a fork would copy a thread's locks, not the thread
        raise RuntimeError(f"importing envkeep started threads: {threading.enumerate()}")


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


def serve(path: str) -> dict[str, Any]:
    """Answer requests until stopped; return (only in a forked child) the child's request."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(0, selectors.EVENT_READ)  # the client's pipe: its end is the client's
    waiting: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    while True:
        for key, _events in selector.select():
            if key.fileobj is listener:
                conn, _addr = listener.accept()
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    for fd, (_pid, other) in waiting.items():
                        os.close(fd)
                        other.close()
                    conn.close()
                    _become(request, fds)
                    return request
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                waiting[pidfd] = (pid, conn)
                selector.register(pidfd, selectors.EVENT_READ)
                with contextlib.suppress(OSError):
                    conn.sendall(struct.pack("!q", pid))
            elif key.fd == 0:
                if not os.read(0, 4096):  # the test process has gone, however it went
                    os._exit(0)
            else:
                pidfd = int(key.fd)
                selector.unregister(pidfd)
                pid, conn = waiting.pop(pidfd)
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


def _leave(code: int) -> NoReturn:
    """Leave as Python does, less the tearing down of every module the zygote imported (most of
    a short command's time in a forked child): threads joined, ``atexit`` run, output flushed."""
    threading._shutdown()  # type: ignore[attr-defined]  # joins non-daemon threads, as at exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main() -> None:
    path, script = sys.argv[1], sys.argv[2]
    sys.path[0] = str(Path(script).parent)  # as for the console script, not this file's folder
    preload()
    gc.freeze()  # the children's collections leave the imported objects (and their pages) be
    request = serve(path)
    sys.argv = [script, *request["args"]]
    from envkeep.cli.entry import main as envkeep

    try:
        envkeep()
    except SystemExit as done:
        _leave(_exit_code(done))
    except BaseException:  # noqa: BLE001 - reported as Python reports it, then status 1
        sys.excepthook(*sys.exc_info())
        _leave(1)
    _leave(0)


if __name__ == "__main__":
    main()
