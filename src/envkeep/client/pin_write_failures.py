"""What a command does when a pins file cannot be written: the one decision every pin write
shares.

Any OSError writing pins (a read-only home, another user's, a pins path that is a directory, a
lock file that is a link) is taken as a home this command cannot write: it goes on, pinning
nothing. A pin of what this command saw first is skipped quietly (a CI job's read-only home
reads all the same), but for a linked lock, which someone can mend (`pin_lock_links`). A pin
that follows a change the server already made (a token's keys made here, a rename's or a
deletion's pin, a key rotated here) is always said: raised then, the command failed after its
change was made, and a token made was never shown. So is the pin of a key first seen as this
command seals to it: raised, it failed the rotations a revocation makes after the server
revoked; silent, the note that it was pinned would be untrue. A command whose one change is
the pin (`member verify`) is refused instead (`refused_write`), nothing done.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.pin_lock_links import say_if_linked
from envkeep.core.errors import LocalFileUnwritable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from envkeep.client.pin_lock_links import Warn


@dataclass
class PinWrite:
    """Whether a write of pins under `unless_unwritable` was made: a note that something was
    pinned is said only if it was."""

    written: bool = True


@contextlib.contextmanager
def unless_unwritable(
    path: Path, unpinned: str, warn: Warn, *, always: bool = False
) -> Iterator[PinWrite]:
    """Run a write of the pins in ``path``; an OSError ends it unraised (``written`` False
    then). ``unpinned`` (what was not pinned, and what that leaves) is said when the lock is a
    link, and, ``always``, whatever failed: a pin that follows the server's change, or one a
    seal relies on."""
    outcome = PinWrite()
    try:
        yield outcome
    except OSError as failed:
        outcome.written = False
        if say_if_linked(path, unpinned, warn) or not always or warn is None:
            return
        warn(
            f"warning: {path} could not be written ({failure_reason(failed)}), so {unpinned};"
            f" {_mend(path, failed)}"
        )


def _mend(path: Path, failed: OSError) -> str:
    """How to mend a write of the pins in ``path`` that ``failed``: a directory in its place
    is moved aside (what it holds is not envkeep's to delete); else it is made writable."""
    if isinstance(failed, IsADirectoryError) and path.is_dir():
        return move_aside(path)
    return "make it writable for this user"


def move_aside(path: Path) -> str:
    """How to mend a directory where the file of pins ``path`` belongs: the mv that moves it
    aside, not an rm (what it holds is not envkeep's to delete)."""
    aside = shlex.quote(f"{path}.aside")
    return f"move it aside and look at what it holds: mv {shlex.quote(str(path))} {aside}"


def refused_write(path: Path, failed: OSError, unpinned: str) -> LocalFileUnwritable:
    """The refusal of a command whose one change is a write of the pins in ``path`` that
    ``failed`` (a read-only home, another user's): ``unpinned`` says what was not done."""
    reason = failure_reason(failed)
    if failed.filename is not None and str(failed.filename) == str(path):  # said once
        reason = failed.strerror or type(failed).__name__
    return LocalFileUnwritable(
        f"{path} could not be written ({reason}), so {unpinned}",
        hint=f"make {path.parent} and the file writable for this user (or set ENVKEEP_HOME to a"
        " home it can write), then run this command again",
    )


def failure_reason(failed: OSError) -> str:
    """The system's word for the failure and the file it named: "Read-only file system"."""
    reason = failed.strerror or type(failed).__name__
    return f"{reason}: {failed.filename}" if failed.filename else reason
