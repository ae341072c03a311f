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
other copy kept before it was requested at a higher revision (``kept_copy.before_restore``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from copy import copy as shallow_copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.client.kept_copy import KeptCopy, before_restore
from envkeep.client.kept_refusals import (
    EVERYTHING,
    RefusalTimes,
    environment_scope,
    project_scope,
    workspace_scope,
)
from envkeep.client.kept_scopes import folders_in, mark, scopes_of
from envkeep.client.offline_limit import OfflineLimit, offline_limit
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from envkeep.client.kept_copy import Services
    from envkeep.core.errors import UnreachableError

# A read's limit when none is given (`offline_limit` decides a command's).
READS_LIMIT = offline_limit(None, flag=None, artifact=False)

# How long a save waits for another process's (milliseconds, or stopped): then this copy is not
# kept (TimeoutError, an OSError), and the read goes on.
LOCK_WAIT_SECONDS = 2.0


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
    _whole_read: dict[Path, tuple[tuple[int, int, int] | None, KeptCopy]] = field(
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
        A copy kept there of a later state stays instead (`KeptCopy.later_than`)."""
        wanted = _services(services)
        path = self._path(environment, wanted)
        try:
            # Another process's save waits: one lock beside the directory of every copy (a
            # save takes milliseconds), none among them that `forget` would delete or leave.
            # Not for long: a holder stopped mid-save (Ctrl-Z) must not hang this read.
            with exclusive(self.directory, within=self._lock_wait()):
                # Its time once the lock is held: a copy kept while it waited was kept before.
                kept = KeptCopy(path, wanted, self.clock(), data)
                sent = kept.fetched_at if sent_at is None else sent_at
                if not self._refused_since(environment, kept, sent):
                    self._replace(kept, sent)
        except TimeoutError:
            self._lock_stuck = True
        except OSError:
            return  # a cache: failing to keep one must not fail the read

    def _lock_wait(self) -> float:
        return 0.0 if self._lock_stuck else LOCK_WAIT_SECONDS

    def _refused_since(self, environment: str, kept: KeptCopy, sent_at: float) -> bool:
        """Whether the server refused a scope ``kept`` is in (its environment, project or
        workspace) after its request was sent at ``sent_at``: a deletion this save came too
        late to be part of (`kept_refusals`)."""
        scopes = [EVERYTHING, environment_scope(environment), *scopes_of(kept)]
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

    def _replace(self, kept: KeptCopy, sent_at: float) -> None:
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
        mark(kept)
        for path, other in others.items():
            if other is None or kept.supersedes(other) or before_restore(other, kept, sent_at):
                path.unlink(missing_ok=True)  # unreadable ones too: damaged, or an older format

    def _read_once(self, path: Path) -> KeptCopy | None:
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

    def forget_everything(self) -> None:
        """Delete every answer kept, of any workspace: the account logged out here, so no
        copy may outlive that, nor a read asked for before it and saved after."""
        self._delete_locked(EVERYTHING, lambda: shutil.rmtree(self.directory, ignore_errors=True))

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

    def _forget_where(self, scope: str, chosen: Callable[[KeptCopy], bool]) -> None:
        """Delete every answer kept of each environment in ``scope``: its folder marked so
        (`kept_scopes`), or, kept before the marks, a copy in it ``chosen`` (found under the
        lock: a copy a save was writing is among them)."""

        def read(path: Path) -> bool:
            kept = _read(path)
            return kept is not None and chosen(kept)

        def delete() -> None:
            for folder in folders_in(self.directory, scope, read):
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

    def _newest_answer(self, environment: str, services: Services) -> tuple[KeptCopy, Any] | None:
        """The newest copy of ``environment`` that holds ``services``, and its answer."""
        found = (_read(path) for path in self._folder(environment).glob("*.json"))
        for copy in sorted((c for c in found if c is not None), key=KeptCopy.newness, reverse=True):
            answer = copy.answer(services)
            if answer is not None:
                return copy, answer
        return None


# A runner that never read the environment (a fresh CI job's home) has nothing to fall back on.
_NO_COPY = (
    "no copy of this environment is kept on this machine to read instead (a read that"
    " reaches the server keeps one)"
)


def _read(path: Path) -> KeptCopy | None:
    """The copy in ``path``; None if it is gone, damaged or of an older format."""
    try:
        body = json.loads(path.read_text())
        listed = body["services"]
        services = None if listed is None else frozenset(str(s) for s in listed)
        return KeptCopy(path, services, float(body["fetched_at"]), body["snapshot"])
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


def _services(services: Sequence[str] | None) -> Services:
    return None if services is None else frozenset(services)


def _listed(services: Services) -> list[str] | None:
    return None if services is None else sorted(services)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
