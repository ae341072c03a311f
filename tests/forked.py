"""Real `envkeep` processes, started by forking ``tests/zygote.py`` (which has imported envkeep
once) instead of starting Python anew: what ``subprocess.run`` does for the tests' commands, in
a tenth of the time. Each test process starts its own zygote when it first runs a command.

``ENVKEEP_TEST_FORK=0`` turns it off (every command a new Python). A command whose environment
differs from the zygote's in what Python reads while starting (a ``PYTHON*`` variable, the
locale, the time zone) or what the zygote's imports read (it reports those when it starts)
runs in a new Python too, as does every command when the zygote cannot start or take it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

ZYGOTE = Path(__file__).with_name("zygote.py")
# Read by Python as it starts (PYTHON*, the locale, the time zone), or by envkeep's choice of
# its compiled core; the zygote adds what its imports read (Typer's and Rich's switches, say).
_READ_AT_START = re.compile(r"PYTHON.*|LC_.*|LANG|LANGUAGE|TZ|ENVKEEP_PURE_PYTHON")
_READY_WITHIN = 60.0


@dataclass(frozen=True)
class Finished:
    """What a command did, as ``subprocess.run`` with ``capture_output`` reports it."""

    returncode: int
    stdout: bytes
    stderr: bytes


def _base_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")}


def _read_at_start(env: Mapping[str, str], imported: frozenset[str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in imported or _READ_AT_START.fullmatch(k)}


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        more = sock.recv(size - len(data))
        if not more:
            raise ConnectionError("the zygote closed the connection")
        data += more
    return data


def _current_umask() -> int:
    """This process's umask, read without setting it (``os.umask`` would, for every thread)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise RuntimeError("no Umask line in /proc/self/status")


class Zygote:
    """One zygote process and the socket to ask it for children."""

    def __init__(self, script: str) -> None:
        self.script = script
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: str | None = None
        # Off when asked, and where a child's end cannot be waited for with a pidfd (Linux 5.3+).
        self._failed = os.environ.get("ENVKEEP_TEST_FORK") == "0" or not hasattr(os, "pidfd_open")
        self._pid = os.getpid()
        self._imported: frozenset[str] = frozenset()  # what the zygote's imports read
        self._environ: dict[str, str] = {}

    @property
    def _socket_path(self) -> str:
        assert self._folder is not None
        return str(Path(self._folder) / "socket")

    def _started(self) -> bool:
        """Start the zygote if need be; whether it runs."""
        with self._lock:
            if self._failed or os.getpid() != self._pid:
                return False
            if self._process is not None and self._process.poll() is None:
                return True
            self._stop()
            self._folder = tempfile.mkdtemp(prefix="envkeep-zygote-")
            self._process = subprocess.Popen(
                [sys.executable, str(ZYGOTE), self._socket_path, self.script],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_base_environ(),
            )
            assert self._process.stderr is not None
            ready = _ready_line(self._process.stderr, _READY_WITHIN)
            if not ready.startswith(b"ready "):
                self._stop()
                self._failed = True
                sys.stderr.write(f"tests/forked.py: the zygote did not start: {ready!r}\n")
                return False
            self._imported = frozenset(json.loads(ready[len(b"ready ") :]))
            self._environ = _read_at_start(_base_environ(), self._imported)
            atexit.register(self.stop)
            return True

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def takes(self, env: Mapping[str, str]) -> bool:
        """Whether a command with ``env`` can be a child of the zygote."""
        return self._started() and _read_at_start(env, self._imported) == self._environ

    def run(
        self, args: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: bytes, timeout: float
    ) -> Finished | None:
        """``envkeep ARGS`` as a child of the zygote (``takes(env)`` must hold); None if no
        zygote listens (the caller starts a new Python)."""
        request = json.dumps(
            {
                "args": list(args),
                "env": dict(env),
                "cwd": os.path.abspath(cwd),  # noqa: PTH100 - a str, as the zygote takes it
                "umask": _current_umask(),
            }
        ).encode()
        pipes = [*os.pipe(), *os.pipe(), *os.pipe()]  # stdin r, w; stdout r, w; stderr r, w
        in_r, in_w, out_r, out_w, err_r, err_w = pipes
        left_open = set(pipes)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                sock.connect(self._socket_path)
            except OSError:  # no zygote listening: nothing was started
                return None
            # From here a failure is the test's error, never a second run of the command.
            socket.send_fds(sock, [struct.pack("!I", len(request))], [in_r, out_w, err_w])
            sock.sendall(request)
            _exactly(sock, 8)  # the child's pid: it has started
            for fd in (in_r, out_w, err_w):
                os.close(fd)
                left_open.discard(fd)
            left_open.clear()  # `_communicate` closes the other three, whatever happens
            try:
                out, err = _communicate(in_w, out_r, err_r, stdin, time.monotonic() + timeout)
            except BaseException as stopped:  # a timeout, or the test stopped: as subprocess.run
                with contextlib.suppress(OSError):
                    sock.sendall(b"k")  # the zygote kills the child through its pidfd
                    _exactly(sock, 4)
                if isinstance(stopped, subprocess.TimeoutExpired):
                    command = [self.script, *args]
                    raise subprocess.TimeoutExpired(
                        command, timeout, stopped.output, stopped.stderr
                    ) from None
                raise
            (code,) = struct.unpack("!i", _exactly(sock, 4))
        finally:
            for fd in left_open:
                os.close(fd)
            sock.close()
        return Finished(code, out, err)


def _ready_line(stream: object, seconds: float) -> bytes:
    """The zygote's ``ready …`` line from its stderr (anything before it, a warning its imports
    printed say, is passed over), or all it wrote before it ended or ``seconds`` passed."""
    fd = stream.fileno()  # type: ignore[attr-defined]
    deadline = time.monotonic() + seconds
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            for line in data.splitlines(keepends=True):
                if line.startswith(b"ready ") and line.endswith(b"\n"):
                    return line
            if selector.select(deadline - time.monotonic()):
                more = os.read(fd, 65536)
                if not more:
                    break
                data += more
    return data


def _write_some(fd: int, data: memoryview) -> memoryview:
    """What is left of ``data`` after one write to ``fd`` (nothing if the reader has gone)."""
    try:
        return data[os.write(fd, data[:65536]) :]
    except BrokenPipeError:
        return data[:0]


def _communicate(
    in_w: int, out_r: int, err_r: int, stdin: bytes, deadline: float
) -> tuple[bytes, bytes]:
    """Write ``stdin`` and read both outputs to their ends, as ``Popen.communicate`` does; the
    three descriptors are closed when it returns."""
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    left = memoryview(stdin)
    open_fds = {in_w, out_r, err_r}

    def close(fd: int) -> None:
        open_fds.discard(fd)
        os.close(fd)

    try:
        with selectors.DefaultSelector() as selector:
            if left:
                os.set_blocking(in_w, False)
                selector.register(in_w, selectors.EVENT_WRITE)
            else:
                close(in_w)
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    out, err = b"".join(chunks[out_r]), b"".join(chunks[err_r])
                    raise subprocess.TimeoutExpired("envkeep", 0, out, err)
                for key, _events in selector.select(remaining):
                    fd = int(key.fd)
                    if fd == in_w:
                        left = _write_some(in_w, left)
                        if not left:
                            selector.unregister(in_w)
                            close(in_w)
                        continue
                    more = os.read(fd, 65536)
                    if more:
                        chunks[fd].append(more)
                    else:
                        selector.unregister(fd)
    finally:
        for fd in list(open_fds):
            close(fd)
    return b"".join(chunks[out_r]), b"".join(chunks[err_r])


_zygotes: dict[str, Zygote] = {}


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    stdin: bytes = b"",
    timeout: float = 60,
) -> Finished:
    """``subprocess.run(command, input=stdin, capture_output=True, …)`` for ``command`` =
    ``[envkeep script, *args]``: a child of the zygote where it can be, else a new process."""
    script, *args = command
    if Path(script).name == "envkeep":
        zygote = _zygotes.get(script) or _zygotes.setdefault(script, Zygote(script))
        if zygote.takes(env):
            done = zygote.run(args, env, cwd, stdin, timeout)
            if done is not None:
                return done
    new = subprocess.run(
        list(command),
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=dict(env),
        timeout=timeout,
        check=False,
    )
    return Finished(new.returncode, new.stdout, new.stderr)
