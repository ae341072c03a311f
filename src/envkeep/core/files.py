"""Writing files so that a crash never leaves a half-written one: temp file, fsync, rename."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from envkeep.core.errors import AlreadyExistsError

if TYPE_CHECKING:
    from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically; the file is created with ``mode``."""
    import tempfile  # only writers pay for it
    from pathlib import Path

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def refuse_existing(path: Path, *, force: bool) -> None:
    """Stop before a command replaces an existing file that it was not told to (--force)."""
    if not force and path.exists():
        raise AlreadyExistsError(f"{path} exists", hint="pass --force to replace it, or -o PATH")


def write_new(path: Path, data: bytes, *, force: bool, mode: int = 0o600) -> None:
    """``write_atomic``, but an existing ``path`` is replaced only with ``force``."""
    refuse_existing(path, force=force)
    write_atomic(path, data, mode=mode)
