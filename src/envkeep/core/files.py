"""Writing files so that a crash never leaves a half-written one (temp file, fsync, rename),
and updating one that several processes share (`exclusive`)."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import stat
from typing import TYPE_CHECKING, BinaryIO

from envkeep.core.errors import AlreadyExistsError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def write_atomic(
    path: Path, data: bytes, *, mode: int = 0o600, private_parents: bool = False
) -> None:
    """Replace ``path`` with ``data`` atomically; the file is created with ``mode``, its
    missing directories made as the umask says, or 0700 with ``private_parents``
    (``make_private_directory``: what envkeep keeps under ENVKEEP_HOME). A file written
    elsewhere (`export -o dist/.env`) leaves ordinary directories: others may need to list them
    for what else goes there."""
    with atomic_writer(path, mode=mode, private_parents=private_parents) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, mode: int = 0o600, private_parents: bool = False
) -> Iterator[BinaryIO]:
    """`write_atomic` for what is written a part at a time (a long audit trail, a page at a
    time): the parts go to a temporary file beside ``path``, which replaces it only once the
    block ends without an error; on one, ``path`` is as it was and the temporary file gone."""
    _make_parent(path, private=private_parents)
    with temporary_file(path, mode=mode) as (handle, tmp):
        yield handle
    try:
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def temporary_file(path: Path, *, mode: int = 0o600) -> Iterator[tuple[BinaryIO, Path]]:
    """A new temporary file beside ``path`` (``temporary_prefix``; those of dead writers
    removed first), open for writing: flushed to disk when the block ends, removed if it
    raises. Its caller renames it over ``path`` (`atomic_writer`, `activate-all`'s renames)."""
    import tempfile  # only writers pay for it
    from pathlib import Path

    remove_dead_temporaries(path)
    try:
        fd, name = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as error:  # a read-only or full directory: say the file the user named
        raise type(error)(error.errno, error.strerror, str(path)) from None
    tmp = Path(name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def temporary_prefix(path: Path) -> str:
    """The start of a temporary file's name beside ``path``: hidden, and naming the process
    that writes it (``writer_tag``), so that one left by a writer killed before its rename
    (kill -9, a power cut: no handler runs) is known for dead and removed by the next write of
    ``path``."""
    return f".{path.name}.{writer_tag()}."


def writer_tag(pid: int | None = None) -> str:
    """A process (this one by default) as the names of its temporary files and directories
    say it: ``MACHINE-PID``. MACHINE says among which processes PID is one: a PID of another
    host (a home on NFS) or of another PID namespace (a container sharing the directory, or
    /tmp) is none that `os.kill` here can see, and its files are no dead writer's to remove."""
    return f"{_machine()}-{os.getpid() if pid is None else pid}"


@functools.cache
def _machine() -> str:
    import hashlib
    import platform
    from pathlib import Path

    try:
        namespace = Path("/proc/self/ns/pid").stat().st_ino
    except OSError:  # no /proc (macOS, Windows): the host's processes are all there are
        namespace = 0
    return hashlib.sha256(f"{platform.node()}\0{namespace}".encode()).hexdigest()[:8]


def _dead(writer: str) -> bool:
    """Whether ``writer`` (a `writer_tag`) is a process of this machine that no longer runs."""
    machine, _, pid = writer.rpartition("-")
    return machine == _machine() and pid.isdigit() and not _running(int(pid))


def remove_dead_temporaries(path: Path) -> None:
    """Delete the temporary files beside ``path`` (``temporary_prefix``) whose writer is no
    longer running: each may hold values in clear (an export), and nothing else removes it. A
    live writer's, another machine's, another file's and an unreadable directory's are left
    alone."""
    try:
        siblings = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return
    start = len(path.name) + 2
    for sibling in siblings:
        writer, _, rest = sibling.name[start : -len(".tmp")].partition(".")
        if rest and "." not in rest and _dead(writer):
            with contextlib.suppress(OSError):
                sibling.unlink()


def glob_escape(name: str) -> str:
    """``name`` matched literally by ``Path.glob`` (a file named ``[x].env``)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def remove_dead_directories(parent: Path, prefix: str) -> None:
    """Delete this user's directories ``prefix``MACHINE-PID-… (``writer_tag``) in ``parent``
    whose process no longer runs: made for values in clear (`edit`'s buffer) by a process
    killed before it could remove its own (kill -9: no handler runs)."""
    try:
        found = list(parent.glob(f"{glob_escape(prefix)}*-*-*"))
    except OSError:
        return
    for directory in found:
        writer = directory.name[len(prefix) :].rpartition("-")[0]  # mkdtemp's part has no '-'
        try:
            mine = directory.is_dir() and directory.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and _dead(writer):
            shutil.rmtree(directory, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):  # another user's, or no pid at all
        return True
    return True


def make_private_directory(path: Path) -> None:
    """Create ``path`` and each missing directory above it 0700: what envkeep keeps under
    ENVKEEP_HOME (keys, sessions, kept copies) is no one else's to list. A directory that
    exists keeps its mode: it may be the user's own (a home they made, or shared on purpose)."""
    missing = []
    while not path.is_dir() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=0o700)


def _make_parent(path: Path, *, private: bool) -> None:
    if private:
        make_private_directory(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def exclusive(path: Path, *, within: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s lock file (``NAME.lock`` beside it, 0600) while a
    read-modify-write of ``path`` runs, so that two processes updating it at once (two `run`s
    pinning first-seen keys) each keep the other's change. ``within``: seconds to wait at most,
    then TimeoutError (a cache's writer skips its update rather than hang behind a process
    stopped while holding it); None waits as long as it takes. Where the OS has no ``flock``
    (Windows), or the file system takes none (NFS without its lock daemon: ENOLCK), nothing is
    locked: the update runs as it would have without the lock, rather than never. The lock
    file is never opened through a link (``O_NOFOLLOW``)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the platforms the tests run on
        yield
        return
    make_private_directory(path.parent)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(lock_file(path), flags, 0o600)
    try:
        try:
            if within is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                _lock_within(fd, within)
        except OSError as refused:
            if refused.errno not in _NO_LOCKS:
                raise
        yield
    finally:
        os.close(fd)  # closing releases the lock


def lock_file(path: Path) -> Path:
    """The lock file `exclusive` holds for ``path``: ``NAME.lock`` beside it."""
    return path.with_name(f"{path.name}.lock")


# What flock answers on a file system that takes no locks: no lock is then held, as on Windows.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS})


def _lock_within(fd: int, seconds: float) -> None:
    """Take ``fd``'s exclusive flock, trying every 10 ms; TimeoutError after ``seconds``."""
    import fcntl
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"lock held elsewhere for over {seconds} s") from None
            time.sleep(0.01)


def refuse_existing(
    path: Path, *, force: bool, instead: str = "-o PATH", streams: bool = False
) -> None:
    """Stop before a command replaces an existing file that it was not told to (--force); a
    directory is never replaced, --force or not, nor a pipe or a device (`is_stream`): those
    pass only for a writer that writes into them (``streams``: `write_new`), and a block device
    or a pipe another user made only with --force. A link counts as existing even when it
    leads nowhere (writing through it would create whatever it names), and one another user
    left in a shared directory is never followed (`_refuse_planted_link`). ``instead``: the
    hint's other way on, in the command's own words (``-o PATH``; `server backup`, whose file
    is an argument: ``back up to another file``)."""
    _refuse_directory(path)
    _refuse_planted_link(path)
    if is_stream(path):
        if not streams:
            raise UsageError(
                f"{path} is a pipe or a device, not a file: writing would put a file in its place",
                hint=f"give a regular file, or {instead}",
            )
        if force or (what := _guarded_stream(path)) is None:
            return
        raise AlreadyExistsError(
            f"{path} is {what}", hint=f"pass --force to write into it, or {instead}"
        )
    if not force and os.path.lexists(path):
        raise AlreadyExistsError(f"{path} exists", hint=f"pass --force to replace it, or {instead}")


def write_new(path: Path, data: bytes, *, force: bool, mode: int = 0o600) -> None:
    """``write_atomic``, but an existing ``path`` is replaced only with ``force``. A pipe or a
    character device (`-o /dev/stdout`, a named pipe) is written into, never replaced, and a
    block device or another user's pipe likewise but only with ``force``; a symbolic link's
    target is replaced, not the link: renaming a file over either would put the values in a
    new file where a device or a link was (as root, ``-o /dev/null --force`` replaced
    /dev/null)."""
    if is_stream(path):
        refuse_existing(path, force=force, streams=True)
        write_into(path, data)
        return
    refuse_existing(path, force=force)
    write_atomic(path.resolve(), data, mode=mode)


def is_stream(path: Path) -> bool:
    """Whether ``path``, its links followed, is a pipe, a device or a socket (`/dev/stdout`,
    `/dev/null`, a named pipe): something to write into, never to replace."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _guarded_stream(path: Path) -> str | None:
    """What ``path`` (a `is_stream`) is, where writing into it must be asked for with --force:
    a block device (a disk: as root `-o /dev/sda` wrote over its first blocks, as `dd` does
    only when told to), or a pipe another user made (the values go to whoever reads it)."""
    found = path.stat()
    if stat.S_ISBLK(found.st_mode):
        return "a block device (a disk)"
    if stat.S_ISFIFO(found.st_mode) and found.st_uid != os.geteuid():
        return "a named pipe another user made"
    return None


def _refuse_planted_link(path: Path) -> None:
    """Refuse a link another user left in a shared directory (world-writable and sticky, as
    /tmp): followed, it would have the values written wherever they chose (a planted
    /tmp/app.env -> ~/.bashrc replaced that file with the values). Linux refuses such a link
    to `>` likewise (fs.protected_symlinks); the link's directory's owner may still."""
    try:
        if not path.is_symlink():
            return
        link, parent = path.lstat(), path.parent.stat()
    except OSError:
        return
    shared = parent.st_mode & stat.S_ISVTX and parent.st_mode & stat.S_IWOTH
    if shared and link.st_uid not in {os.geteuid(), parent.st_uid}:
        raise UsageError(
            f"{path} is a link another user made in a shared directory: envkeep does not"
            " write through it",
            hint="give a path in a directory of your own",
        )


def write_into(path: Path, data: bytes) -> None:
    """Write ``data`` into the pipe or device ``path`` (never created, nor truncated); one
    that became a regular file or a directory since it was looked at is refused."""
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # it was swapped: write nothing
            raise UsageError(f"{path} changed while envkeep wrote it", hint="run it again")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def append_private(path: Path, data: bytes) -> None:
    """Add ``data`` to the end of ``path`` in one write (O_APPEND: a file others append to,
    as GitHub Actions' ``$GITHUB_ENV``), creating it 0600 if it is missing; a directory is
    refused. A file whose last line has no newline (written by ``printf`` or ``echo -n``) gets
    one first: glued on, the first line added would become part of that last line's value."""
    _refuse_directory(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if not _ends_a_line(path):
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _ends_a_line(path: Path) -> bool:
    """Whether ``path`` is empty or ends with a newline; a file this user may append to but
    not read (a drop file, mode 0200) counts as one that does: nothing is added to it unasked."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return True
            handle.seek(size - 1)
            return handle.read(1) == b"\n"
    except OSError:
        return True


def _refuse_directory(path: Path) -> None:
    """A file argument that names a directory: never written to, whatever the flags."""
    if path.is_dir():
        raise UsageError(f"{path}: Is a directory", hint="give the path of a file")
