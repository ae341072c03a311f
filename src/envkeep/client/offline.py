"""The last snapshots fetched from a team server, kept (as ciphertext, exactly what the server
sent) so that reads — `envkeep run` first of all — still work when the server is unreachable,
for as long as the copy is younger than the command's limit (``offline_limit``). A read the
server refuses (no role there any more, or no such environment) deletes every copy kept of
that environment; a refusal for holding no role in the whole workspace deletes every copy kept
of that workspace (``forget_workspace``); a service removed where the project's environments
could not be listed then deletes every copy of that project (``forget_project``).

A copy holds what one read asked for: every scope, or the shared scope plus some services'.
An offline read uses the newest copy that holds what it asks (a copy of every scope answers a
read of one service, narrowed to what the server would have sent), so two commands never show
two ages of one environment because they asked for different scopes. Saving a copy deletes the
ones it supersedes: older (the environment's revision and key version) and holding no scope it
lacks, or of an environment that the name no longer stands for.

Two reads of one environment at once (two commands, or a read and a write's refresh) may
answer in either order. A copy is not replaced by an answer whose request was sent before the
copy was kept when the copy's revision is higher: the requests overlapped, so the higher is
the later state. An answer requested after a copy was kept is the server's state now, even at
a lower revision (a server restored from a backup): it replaces that copy, and deletes any
other copy kept before it was requested at a higher revision (``_before_restore``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from copy import copy as shallow_copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.client.kept_refusals import (
    RefusalTimes,
    environment_scope,
    project_scope,
    workspace_scope,
)
from envkeep.client.offline_limit import OfflineLimit, offline_limit
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path

    from envkeep.core.errors import UnreachableError

# A read's limit when none is given (`offline_limit` decides a command's).
READS_LIMIT = offline_limit(None, flag=None, artifact=False)

# How long a save waits for another process's (milliseconds, or stopped): then this copy is not
# kept (TimeoutError, an OSError), and the read goes on.
LOCK_WAIT_SECONDS = 2.0

# The services a read asked for; None: every scope.
Services = frozenset[str] | None


@dataclass(frozen=True)
class _Copy:
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
            return _narrowed(self.snapshot, services or frozenset())
        except (KeyError, TypeError):
            return None

    def supersedes(self, older: _Copy) -> bool:
        """Whether ``older`` can go once this copy is kept: it is of an environment the name
        no longer stands for, or this copy is as new and holds everything it does."""
        mine, theirs = self.version, older.version
        if mine is None or theirs is None:
            return False  # not snapshots: nothing to compare
        if self.environment_id != older.environment_id:
            return True
        return mine >= theirs and self.holds(older.services)

    def later_than(self, answer: _Copy, sent_at: float) -> bool:
        """Whether this copy (kept) is of a later state of the same environment than
        ``answer``, whose request was sent at ``sent_at``: a higher version, and kept after
        that request was sent. Revisions only go up while a server runs, so of two reads that
        overlapped the higher is the later; a copy kept before the request was sent is of an
        earlier state whatever its revision (a server restored from a backup went back)."""
        mine, theirs = self.version, answer.version
        if mine is None or theirs is None or self.environment_id != answer.environment_id:
            return False
        return mine > theirs and _overlapped(self, answer, sent_at)


def _overlapped(copy: _Copy, answer: _Copy, sent_at: float) -> bool:
    """Whether ``copy`` was kept while ``answer``'s request (sent at ``sent_at``) was out:
    after it was sent, and not after ``answer`` is kept. A copy kept "later" than now was
    kept before the clock stepped back: its time orders nothing, and ``answer``, asked for
    now, is the server's state."""
    return sent_at < copy.fetched_at <= answer.fetched_at


def _before_restore(older: _Copy, answer: _Copy, sent_at: float) -> bool:
    """Whether ``older`` is of the server's state before a restore from a backup: of the same
    environment at a higher version than ``answer``, yet kept before ``answer`` was asked for
    (at ``sent_at``). Left, it would answer offline reads with values the server no longer has."""
    mine, theirs = answer.version, older.version
    if mine is None or theirs is None or answer.environment_id != older.environment_id:
        return False
    return theirs > mine and not _overlapped(older, answer, sent_at)


@dataclass
class SnapshotCache:
    """Snapshots by environment (its URL path) and the services read (None: every scope),
    with when they were fetched: ``directory/<environment>/<services>.json``."""

    directory: Path
    limit: OfflineLimit = READS_LIMIT
    notify: Callable[[str], None] | None = None
    clock: Callable[[], float] = time.time
    # Whether reads keep copies and may fall back to one: not a command that writes, which
    # serves none and keeps none of its own reads, but reads again what it wrote where a
    # copy of it is kept (`HttpBackend._refresh_kept`).
    loads: bool = True
    # The copy `whole_copy` read last, with its file's identity (`_identity`): a write that
    # read it to bring it past itself saves next, and need not read it again.
    _whole_read: dict[Path, tuple[tuple[int, int, int] | None, _Copy]] = field(
        default_factory=dict, init=False, repr=False
    )
    # Whether a save found the lock held past `LOCK_WAIT_SECONDS`: the holder is stuck, and
    # the command's other saves (one per environment read) try once rather than wait again.
    _lock_stuck: bool = field(default=False, init=False, repr=False)

    def _folder(self, environment: str) -> Path:
        return self.directory / _digest(environment, 32)

    def _path(self, environment: str, services: Services) -> Path:
        named = "*" if services is None else ",".join(sorted(services))
        return self._folder(environment) / (_digest(named, 16) + ".json")

    def save(
        self,
        environment: str,
        services: Sequence[str] | None,
        data: Any,
        *,
        sent_at: float | None = None,
    ) -> None:
        """Keep the server's answer (ciphertext only) with its time, and delete the copies of
        that environment it supersedes; ``sent_at``: when its request was sent (None: now).
        A copy kept there of a later state stays instead (`_Copy.later_than`)."""
        wanted = _services(services)
        path = self._path(environment, wanted)
        try:
            # Another process's save waits: one lock beside the directory of every copy (a
            # save takes milliseconds), none among them that `forget` would delete or leave.
            # Not for long: a holder stopped mid-save (Ctrl-Z) must not hang this read.
            with exclusive(self.directory, within=self._lock_wait()):
                # Its time once the lock is held: a copy kept while it waited was kept before.
                kept = _Copy(path, wanted, self.clock(), data)
                sent = kept.fetched_at if sent_at is None else sent_at
                if not self._refused_since(environment, kept, sent):
                    self._replace(kept, sent)
        except TimeoutError:
            self._lock_stuck = True
        except OSError:
            return  # a cache: failing to keep one must not fail the read

    def _lock_wait(self) -> float:
        return 0.0 if self._lock_stuck else LOCK_WAIT_SECONDS

    def _refused_since(self, environment: str, kept: _Copy, sent_at: float) -> bool:
        """Whether the server refused a scope ``kept`` is in (its environment, project or
        workspace) after its request was sent at ``sent_at``: a deletion this save came too
        late to be part of (`kept_refusals`)."""
        scopes = [environment_scope(environment)]
        workspace, project = kept.project
        if workspace is not None:
            scopes.append(workspace_scope(workspace))
            if project is not None:
                scopes.append(project_scope(workspace, project))
        return RefusalTimes(self.directory).refused_since(scopes, sent_at, kept.fetched_at)

    def _delete_locked(self, scope: str, delete: Callable[[], None]) -> None:
        """Record the refusal of ``scope`` and run ``delete``, holding the lock a save holds,
        so that a save under way (a read answered just before the refusal) writes its copy
        before the deletion, not into it after, and a save of such a read that comes after
        drops it. A lock not had in time (a stuck holder: it then counts as stuck, as for a
        save) or at all still deletes: a copy left unlocked is worse than one deleted
        unlocked."""

        def refused() -> None:
            with contextlib.suppress(OSError):  # unrecorded, the deletion still goes on
                RefusalTimes(self.directory).record(scope, self.clock())
            delete()

        try:
            with exclusive(self.directory, within=self._lock_wait()):
                refused()
                return
        except TimeoutError:
            self._lock_stuck = True
        except OSError:
            pass
        refused()

    def _replace(self, kept: _Copy, sent_at: float) -> None:
        """Write ``kept`` unless the copy at its path is later, then delete what it supersedes
        (every file of the folder read once)."""
        others = {path: self._read_once(path) for path in kept.path.parent.glob("*.json")}
        there = others.pop(kept.path, None)
        if there is not None and there.later_than(kept, sent_at):
            return
        body = {
            "fetched_at": kept.fetched_at,
            "services": _listed(kept.services),
            "snapshot": kept.snapshot,
        }
        write_atomic(kept.path, json.dumps(body).encode(), mode=0o600, private_parents=True)
        for path, other in others.items():
            if other is None or kept.supersedes(other) or _before_restore(other, kept, sent_at):
                path.unlink(missing_ok=True)  # unreadable ones too: damaged, or an older format

    def _read_once(self, path: Path) -> _Copy | None:
        """The copy in ``path``: the one `whole_copy` read, if the file is still that one."""
        read = self._whole_read.pop(path, None)
        if read is not None and read[0] is not None and read[0] == _identity(path):
            return read[1]
        return _read(path)

    def holds_copies(self, environment: str) -> bool:
        """Whether any answer of ``environment`` is kept."""
        return any(self._folder(environment).glob("*.json"))

    def whole_copy(self, environment: str) -> Any:
        """The copy of every scope of ``environment`` kept (the server's answer, at any age);
        None when none is. Only its own file is read: the others hold fewer scopes."""
        path = self._path(environment, None)  # where every copy of every scope is kept
        identity = _identity(path)
        whole = _read(path)
        if whole is None or whole.services is not None:
            return None
        self._whole_read = {path: (identity, whole)}  # a write's save reads it no more
        return whole.snapshot

    def forget(self, environment: str) -> None:
        """Delete every answer kept of ``environment``, whatever scopes it read: the server
        refused a read there (the reader lost its role, or the environment is gone), so no
        copy of it should outlive the refusal here."""
        folder = self._folder(environment)
        scope = environment_scope(environment)
        self._delete_locked(scope, lambda: shutil.rmtree(folder, ignore_errors=True))

    def forget_workspace(self, workspace_id: str) -> None:
        """Delete every answer kept of any environment of ``workspace_id``: the server refused
        the reader any role in it (a member removed), so no copy of it should outlive that."""
        scope = workspace_scope(workspace_id)
        self._forget_where(scope, lambda kept: kept.workspace_id == workspace_id)

    def forget_project(self, workspace_id: str, project: str) -> None:
        """Delete every answer kept of any environment of the project ``project`` of
        ``workspace_id``: a service of it was removed and its environments could not be
        listed, so none may serve the service's values offline. Other projects' stay."""
        scope = project_scope(workspace_id, project)
        self._forget_where(scope, lambda kept: kept.project == (workspace_id, project))

    def _copies(self) -> Iterator[_Copy]:
        """Every readable copy kept, of any environment."""
        for path in self.directory.glob("*/*.json"):
            kept = _read(path)
            if kept is not None:
                yield kept

    def _forget_where(self, scope: str, chosen: Callable[[_Copy], bool]) -> None:
        """Delete every answer kept of each environment any ``chosen`` copy is of (chosen
        under the lock: a copy a save was writing is among them)."""

        def delete() -> None:
            for folder in {kept.path.parent for kept in self._copies() if chosen(kept)}:
                shutil.rmtree(folder, ignore_errors=True)

        self._delete_locked(scope, delete)

    def load(
        self, environment: str, services: Sequence[str] | None, error: UnreachableError
    ) -> Any:
        """The answer for ``services`` from the newest copy kept that holds it, when the
        server cannot be reached; re-raise ``error`` when there is none, or say (an
        UnreachableError) that the limit refuses it: older than the limit, or any copy."""
        found = self._newest_answer(environment, _services(services))
        if found is None:
            raise self._none_holds(environment, _services(services), error) from None
        chosen, answer = found
        age = self.clock() - chosen.fetched_at
        if not self.limit.allows(age):
            raise self.limit.refusal(error, age) from None
        if self.notify is not None:
            self.notify(self.limit.warning(age, error))
        return answer

    def _none_holds(
        self, environment: str, services: Services, error: UnreachableError
    ) -> UnreachableError:
        """``error``; where copies of ``environment`` are kept that hold less than ``services``
        (read by `get --service api`, which answered offline a moment ago), ``error`` saying
        so, and which reads keep a copy that would serve this one."""
        from envkeep.core.errors import UnreachableError

        found = (_read(path) for path in self._folder(environment).glob("*.json"))
        narrow = [c.services for c in found if c is not None and c.services is not None]
        if not narrow:  # nothing of it kept here (a fresh CI runner): the error, saying so
            told = shallow_copy(error)  # not the caller's: it may raise that one again
            told.hint = (error.hint + "; " if error.hint else "") + _NO_COPY
            return told
        held = sorted(set().union(*narrow))
        scopes = "the shared scope" + (f" and {', '.join(held)}'s" if held else "")
        kept = "copy kept here holds" if len(narrow) == 1 else "copies kept here hold"
        asked = "every scope" if services is None else f"{', '.join(sorted(services))}'s"
        return UnreachableError(
            f"{error.message}; the {kept} {scopes} only (read for those services), and this"
            f" read needs {asked}",
            hint=f"{error.hint or 'reach the server'}; once it answers, this command keeps a"
            " copy that serves it offline (a read of one service keeps its scopes and those"
            " its references name; validate --all and activate-all keep every scope)",
        )

    def _newest_answer(self, environment: str, services: Services) -> tuple[_Copy, Any] | None:
        """The newest copy of ``environment`` that holds ``services``, and its answer."""
        found = (_read(path) for path in self._folder(environment).glob("*.json"))
        for copy in sorted((c for c in found if c is not None), key=_Copy.newness, reverse=True):
            answer = copy.answer(services)
            if answer is not None:
                return copy, answer
        return None


# A runner that never read the environment (a fresh CI job's home) has nothing to fall back on.
_NO_COPY = (
    "no copy of this environment is kept on this machine to read instead (a read that"
    " reaches the server keeps one)"
)


def _read(path: Path) -> _Copy | None:
    """The copy in ``path``; None if it is gone, damaged or of an older format."""
    try:
        body = json.loads(path.read_text())
        listed = body["services"]
        services = None if listed is None else frozenset(str(s) for s in listed)
        return _Copy(path, services, float(body["fetched_at"]), body["snapshot"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _identity(path: Path) -> tuple[int, int, int] | None:
    """What tells one file at ``path`` from the next written there (a copy is replaced by a
    rename, never written in place); None when there is none."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _narrowed(snapshot: Any, services: frozenset[str]) -> Any:
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


def _services(services: Sequence[str] | None) -> Services:
    return None if services is None else frozenset(services)


def _listed(services: Services) -> list[str] | None:
    return None if services is None else sorted(services)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
