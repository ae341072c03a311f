"""One copy kept for reads offline (``client/offline``): the services it was read for, when it
was fetched, and the server's JSON; what it answers for a read of fewer scopes; and how two
copies of one environment are ordered when saved (which supersedes which, which is later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

# The services a read asked for; None: every scope.
Services = frozenset[str] | None


@dataclass(frozen=True)
class KeptCopy:
    """One kept answer: the services it was read for, when, and the server's JSON."""

    path: Path
    services: Services
    fetched_at: float
    snapshot: Any

    @property
    def environment_id(self) -> str | None:
        return self._field("environment", "id")

    @property
    def workspace_id(self) -> str | None:
        return self._field("project", "workspace_id")

    @property
    def project(self) -> tuple[str | None, str | None]:
        """The (workspace id, project name) of the environment it is of."""
        return self.workspace_id, self._field("project", "name")

    def _field(self, part: str, name: str) -> str | None:
        """A field of the snapshot's ``part``; None for an answer without it."""
        try:
            return str(self.snapshot[part][name])
        except (KeyError, TypeError):
            return None

    @property
    def version(self) -> tuple[int, int] | None:
        """The environment's (revision, key version) when fetched; None for an answer that
        does not say (not a snapshot)."""
        try:
            environment = self.snapshot["environment"]
            return int(environment["revision"]), int(environment["key_version"])
        except (KeyError, TypeError, ValueError):
            return None

    def newness(self) -> tuple[tuple[int, int], float]:
        return self.version or (-1, -1), self.fetched_at

    def holds(self, services: Services) -> bool:
        """Whether this copy was read for every scope ``services`` covers (names checked)."""
        if self.services is None:
            return True
        return services is not None and services <= self.services

    def answer(self, services: Services) -> Any:
        """What the server sent for ``services`` when this copy was fetched; None when this
        copy does not hold it (narrower, or a service it does not know)."""
        if not self.holds(services):
            return None
        if services == self.services:
            return self.snapshot
        try:
            return narrowed(self.snapshot, services or frozenset())
        except (KeyError, TypeError):
            return None

    def supersedes(self, older: KeptCopy) -> bool:
        """Whether ``older`` can go once this copy is kept: it is of an environment the name
        no longer stands for, or this copy is as new and holds everything it does."""
        mine, theirs = self.version, older.version
        if mine is None or theirs is None:
            return False  # not snapshots: nothing to compare
        if self.environment_id != older.environment_id:
            return True
        return mine >= theirs and self.holds(older.services)

    def later_than(self, answer: KeptCopy, sent_at: float) -> bool:
        """Whether this copy (kept) is of a later state of the same environment than
        ``answer``, whose request was sent at ``sent_at``: a higher version, and kept after
        that request was sent. Revisions only go up while a server runs, so of two reads that
        overlapped the higher is the later; a copy kept before the request was sent is of an
        earlier state whatever its revision (a server restored from a backup went back)."""
        mine, theirs = self.version, answer.version
        if mine is None or theirs is None or self.environment_id != answer.environment_id:
            return False
        return mine > theirs and overlapped(self, answer, sent_at)


def overlapped(copy: KeptCopy, answer: KeptCopy, sent_at: float) -> bool:
    """Whether ``copy`` was kept while ``answer``'s request (sent at ``sent_at``) was out:
    after it was sent, and not after ``answer`` is kept. A copy kept "later" than now was
    kept before the clock stepped back: its time orders nothing, and ``answer``, asked for
    now, is the server's state."""
    return sent_at < copy.fetched_at <= answer.fetched_at


def before_restore(older: KeptCopy, answer: KeptCopy, sent_at: float) -> bool:
    """Whether ``older`` is of the server's state before a restore from a backup: of the same
    environment at a higher version than ``answer``, yet kept before ``answer`` was asked for
    (at ``sent_at``). Left, it would answer offline reads with values the server no longer has."""
    mine, theirs = answer.version, older.version
    if mine is None or theirs is None or answer.environment_id != older.environment_id:
        return False
    return theirs > mine and not overlapped(older, answer, sent_at)


def narrowed(snapshot: Any, services: frozenset[str]) -> Any:
    """``snapshot`` as the server sends it for the shared scope plus ``services``: their
    secrets only, and only the authors those and the shares name (``app.reads``). KeyError
    for a service the snapshot does not know."""
    from envkeep.app.reads import SHARED_SCOPE, service_scope

    ids = {str(s["name"]): str(s["id"]) for s in snapshot["services"]}
    scopes = {SHARED_SCOPE} | {service_scope(ids[name]) for name in services}
    secrets = [s for s in snapshot["secrets"] if s["scope"] in scopes]
    signers = {s["current"]["author_id"] for s in secrets}
    signers |= {s["sharer"]["id"] for s in snapshot["shares"]}
    authors = [a for a in snapshot["authors"] if a["id"] in signers]
    return {**snapshot, "secrets": secrets, "authors": authors}
