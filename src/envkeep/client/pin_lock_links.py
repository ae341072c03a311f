"""What a command says when it could not pin because a pins file's lock is a link.

Pins are written under a lock file beside them (`files.exclusive`), never opened through a
link (``O_NOFOLLOW``: in a shared home a planted link would create a file elsewhere). The
pins code treats a failed write as a home that cannot be written (a CI job's): it reads on and
pins nothing. For a link that was silent, and every command after it pinned nothing new (a
first-seen signer, environment, service or key version), which leaves this machine trusting
whatever the server says next about them. The command still goes on; it says so, once per
lock file, and how to mend it.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.core.files import lock_file

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    # How a command says a warning once (`ClientContext.warn_once`); None: it says nothing.
    Warn = Callable[[str], None] | None


def say_if_linked(path: Path, what: str, warn: Warn) -> None:
    """After a failed write of the pins in ``path`` (holding ``what``: "environments"), say
    so when its lock file is a link: the write never runs while it is."""
    lock = lock_file(path)
    if warn is None or not _is_link(lock):
        return
    warn(
        f"warning: {lock} is a link, not a lock file, so the {what} this command saw first"
        f" were not pinned; remove the link: rm {shlex.quote(str(lock))}"
    )


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:  # a home this user may not look into: no link it can mend
        return False
