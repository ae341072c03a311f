"""What a command says when it could not pin because a pins file's lock is a link.

Pins are written under a lock file beside them (`files.exclusive`), never opened through a
link (``O_NOFOLLOW``: in a shared home a planted link would create a file elsewhere). The
pins code treats a failed write as a home that cannot be written (a CI job's): it reads on and
pins nothing. For a link that was silent, and every command after it pinned nothing new (a
first-seen signer, environment, service or key version), which leaves this machine trusting
whatever the server says next about them. The command still goes on; it says so, once per
lock file, and how to mend it.

A pin a command changes after the server did what was asked (a rename's or a deletion's pin,
a token's keys made here) goes on likewise, saying so: refused then, the command would fail
after its change was made (a token made but never shown). `member verify`, whose one change
is the pin, is refused instead (`refuse_if_linked`), nothing done.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.core.errors import ConflictError
from envkeep.core.files import lock_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    # How a command says a warning once (`ClientContext.warn_once`); None: it says nothing.
    Warn = Callable[[str], None] | None


def say_if_linked(path: Path, unpinned: str, warn: Warn) -> bool:
    """After a failed write of the pins in ``path``, say so (``unpinned``: "the environments
    this command saw first were not pinned") when its lock file is a link: the write never runs
    while it is. Whether it is one."""
    lock = linked_lock(path)
    if lock is None:
        return False
    if warn is not None:
        warn(f"warning: {lock} is a link, not a lock file, so {unpinned}; {mend(lock)}")
    return True


def refuse_if_linked(path: Path, unpinned: str) -> None:
    """After a failed write of the pins in ``path``, refuse (ConflictError) when its lock file
    is a link, saying ``unpinned`` and how to mend it."""
    lock = linked_lock(path)
    if lock is not None:
        raise ConflictError(
            f"{lock} is a link, not a lock file, so {unpinned}",
            hint=f"{mend(lock)}, then run this command again",
        )


def linked_lock(path: Path) -> Path | None:
    """The lock file of the pins in ``path`` when it is a link; None when it is not."""
    lock = lock_file(path)
    try:
        return lock if lock.is_symlink() else None
    except OSError:  # a home this user may not look into: no link it can mend
        return None


def mend(lock: Path) -> str:
    """How to mend a linked lock file: the rm that removes the link."""
    return f"remove the link: rm {shlex.quote(str(lock))}"
