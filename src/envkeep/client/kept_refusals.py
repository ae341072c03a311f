"""When the server last refused what kept copies (``client/offline``) hold, by the deletion's
scope: an environment, a project, a workspace, or everything (a logout).

A refusal deletes the copies under the lock a save holds, so a save under way lands first and
is deleted with them. A save that takes the lock only after the deletion still had an answer
read before the refusal: kept, it served the refused values offline. The deletion now records
its time here (under the same lock), and a save drops an answer whose request was sent before
a refusal of any scope it is in.

A refusal recorded "later" than now was recorded before this machine's clock stepped back: it
orders nothing (as `offline._overlapped`), else no answer of its scope would be kept until the
clock caught up. Records older than ``KEPT_SECONDS`` are dropped as the file is written: a
save comes within the command that sent the request, long before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

# Beside the copies' directory, as their lock is: in it, every entry is an environment's folder.
SUFFIX = ".refused_at"

# How long a refusal is remembered: longer than any command waits between a request and
# keeping its answer (its read opened, a passphrase typed).
KEPT_SECONDS = 86400.0


# The scope of every copy kept, of any workspace: the account logged out on this machine.
EVERYTHING = "everything"


def environment_scope(environment: str) -> str:
    """The scope of one environment's copies (its snapshot's URL path)."""
    return f"environment|{environment}"


def workspace_scope(workspace_id: str) -> str:
    return f"workspace|{workspace_id}"


def project_scope(workspace_id: str, project: str) -> str:
    return f"project|{workspace_id}|{project}"


@dataclass(frozen=True)
class RefusalTimes:
    """The time of the last refusal of each scope (by digest), in ``<directory>.refused_at``
    (JSON, 0600). Read and written by callers holding the copies' lock."""

    directory: Path

    @property
    def _path(self) -> Path:
        return self.directory.with_name(self.directory.name + SUFFIX)

    def record(self, scope: str, at: float) -> None:
        """Remember that ``scope`` was refused at ``at``; OSError if it cannot be written.
        A refusal of everything (a logout) leaves no other: any save they drop, it drops."""
        kept = {} if scope == EVERYTHING else self._load()
        times = {k: t for k, t in kept.items() if at - KEPT_SECONDS <= t}
        times[_key(scope)] = at  # this one, even below a time recorded ahead of the clock
        body = json.dumps(times, sort_keys=True).encode()
        write_atomic(self._path, body, mode=0o600, private_parents=True)

    def refused_since(self, scopes: Iterable[str], sent_at: float, now: float) -> bool:
        """Whether any of ``scopes`` was refused after a request sent at ``sent_at`` (and not
        after ``now``: a time ahead of the clock orders nothing)."""
        times = self._load()
        keys = [_key(s) for s in scopes]
        return any(sent_at < times[k] <= now for k in keys if k in times)

    def _load(self) -> dict[str, float]:
        """The times recorded; none when the file is missing or damaged (a cache's record)."""
        with contextlib.suppress(OSError, ValueError):
            found = json.loads(self._path.read_text())
            if isinstance(found, dict):
                return {str(k): float(v) for k, v in found.items() if isinstance(v, int | float)}
        return {}


def _key(scope: str) -> str:
    """How ``scope`` is recorded: its digest, not the project's and environment's names, which
    the file (unlike the copies, deleted with them) keeps after a logout."""
    return hashlib.sha256(scope.encode()).hexdigest()[:32]
