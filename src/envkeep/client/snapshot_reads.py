"""An environment's snapshot read from a team server, and the copy of it kept for reads offline.

A fetched snapshot is checked against this machine's pins (its environment's id, its
services', its signers') before it is used; it is kept for reads offline only once a read has
opened it whole (`kept_copies`). A server out of reach is answered from that copy; a refusal
(no access now, or no such environment) deletes it, and a write reads it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.api import schemas
from envkeep.client import answer_size
from envkeep.client.answer_views import snapshot_view
from envkeep.client.answers import read_answer
from envkeep.client.kept_copies import HeldAnswers
from envkeep.client.kept_writes import Batch, written_into
from envkeep.core import errors

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.app import views
    from envkeep.client.api_client import ApiClient
    from envkeep.client.backend import CheckSigners
    from envkeep.client.kept_copies import Opens
    from envkeep.client.offline import SnapshotCache

    CheckEnvironment = Callable[[str, str, str, int | None], None]
    CheckServices = Callable[[str, Sequence[views.ServiceView]], None]


@dataclass
class SnapshotReads:
    """Snapshots of one workspace's environments, and their copies kept for reads offline.

    ``check_signers``, ``check_environment`` and ``check_services`` see every snapshot read
    (the client's pins: client/pins.check_signers, client/environment_pins.py,
    client/service_pins.py), the environment with the newest key version it read (fetched,
    not a copy kept offline, and holding the reader's share of it); ``opens`` opens what a
    write reads again (none given: that copy is deleted)."""

    api: ApiClient
    project_path: Callable[[str], str]
    cache: SnapshotCache | None
    check_signers: CheckSigners
    check_environment: CheckEnvironment
    check_services: CheckServices
    opens: Opens | None = None
    # Whether a read was answered from a copy kept offline (the server out of reach).
    read_kept_copy: bool = False
    _held: HeldAnswers | None = field(init=False)

    def __post_init__(self) -> None:
        self._held = None if self.cache is None else HeldAnswers(self.cache)

    def path(self, project: str, environment: str) -> str:
        """The URL path of an environment's snapshot."""
        return f"{self.project_path(project)}/environments/{environment}/snapshot"

    def forget(self, project: str, environment: str) -> None:
        """Delete the copy kept of an environment (deleted, renamed: it stands for none)."""
        if self.cache is not None:
            self.cache.forget(self.path(project, environment))

    def read(
        self,
        project: str,
        environment: str,
        services: Sequence[str] | None,
        *,
        save: bool,
        fall_back: bool,
    ) -> views.EnvironmentSnapshot:
        """An environment's snapshot; ``save``: the answer kept for reads offline;
        ``fall_back``: a server out of reach answered from such a copy."""
        path = self.path(project, environment)
        data, sent_at = self._fetch(path, services, fall_back=fall_back)
        return self._checked(project, environment, services, data, sent_at=sent_at, save=save)

    def _checked(
        self,
        project: str,
        environment: str,
        services: Sequence[str] | None,
        data: Any,
        *,
        sent_at: float | None,
        save: bool,
    ) -> views.EnvironmentSnapshot:
        """The snapshot of the answer ``data``, checked against the pins; ``sent_at``: when its
        request was sent (None: a copy kept offline, not the server's answer); ``save``: held
        to be kept once opened."""
        path = self.path(project, environment)
        snapshot = snapshot_view(read_answer(schemas.Snapshot, data))
        # Checked against the pin only with the reader's share of it (none: nothing to read);
        # pinned once that share opens (`ClientContext.key_opened`), never on the answer's word.
        current = snapshot.environment.key_version
        held = any(share.key_version == current for share in snapshot.shares)
        fetched = sent_at is not None
        key_version = current if fetched and held else None
        self.check_environment(project, environment, snapshot.environment.id, key_version)
        self.check_services(project, snapshot.services)
        self.check_signers([*snapshot.authors, *(s.sharer for s in snapshot.shares)])
        # Kept for reads offline only once opened: a forged answer replaces no good copy.
        if sent_at is not None and self._held is not None and save:
            self._held.hold(path, services, snapshot, data, sent_at)
        return snapshot

    def _fetch(
        self, path: str, services: Sequence[str] | None, *, fall_back: bool
    ) -> tuple[Any, float | None]:
        """The server's answer for ``path`` and when its request was sent, or the copy kept of
        it and None."""
        params: dict[str, Any] = (
            {"all_scopes": "true"} if services is None else {"service": list(services)}
        )
        sent_at = self.now()
        try:
            data = self.api.request(
                "GET",
                path,
                params=params,
                most=answer_size.MOST_VERSIONS_BYTES,
                answer=schemas.Snapshot,
            )
        except errors.UnreachableError as error:
            if self.cache is None or not fall_back or isinstance(error, errors.NotAnEnvkeepRoute):
                raise  # a kept copy stands in for a server out of reach, not a wrong URL
            # Its role is the one held then: a write is not judged by it (`write_role`).
            kept = {**self.cache.load(path, services, error), "role": None}
            self.read_kept_copy = True
            return kept, None
        except errors.ServiceNotFound:
            raise  # a name mistyped: the environment's copies still stand for it
        except (errors.PermissionDenied, errors.NotFoundError):
            if self.cache is not None:  # refused now: no copy may serve it offline
                self.cache.forget(path)
            raise
        return data, sent_at

    def now(self) -> float:
        """The time by the clock of the copies kept (`SnapshotCache.clock`)."""
        return time.time() if self.cache is None else self.cache.clock()

    def keep_opened(self, snapshot: views.EnvironmentSnapshot) -> None:
        """Keep for reads offline the answer read as ``snapshot``, which a read has opened
        whole (`kept_copies.keep_opened`)."""
        if self._held is not None:
            self._held.keep(snapshot)

    def refresh_kept(self, project: str, environment: str, batch: Batch) -> None:
        """After a write (``batch``), the copy kept of the environment for reads offline (if
        any) read again, every scope: one from before the write would serve its old values,
        and miss its new names, to the writer's own next read with the server down. The copy
        of every scope just before the write is brought past it instead, with no request
        (`kept_writes`). A copy that cannot be read again, or does not open whole, is
        deleted instead."""
        path = self.path(project, environment)
        if self.cache is None or not self.cache.holds_copies(path):
            return
        kept = self.cache.whole_copy(path)
        after = None if kept is None else written_into(kept, batch)
        try:
            if after is None:
                snapshot = self.read(project, environment, None, save=True, fall_back=False)
            else:  # the server's answer, as a fetch would be: held to be kept once opened
                snapshot = self._checked(
                    project, environment, None, after, sent_at=batch.sent_at, save=True
                )
            opened = self.opens is not None and self.opens(snapshot)
        except Exception:  # noqa: BLE001 - the write stands; only its copy is in doubt
            opened = False
        if opened:
            self.keep_opened(snapshot)
        else:
            self.cache.forget(path)
