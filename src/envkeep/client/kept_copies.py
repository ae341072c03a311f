"""Which fetched snapshots become the copy kept for reads offline: only those that opened.

`HttpBackend` saved each snapshot it fetched as the copy kept for reads offline before
anything in it but its signers' pins was checked, so a forged answer (a signature altered, a
share that does not open) was refused by the read, yet had already replaced the good copy, and
the offline fallback refused it again. A fetched answer is now held (``HeldAnswers``) until a
read has opened it whole, every share and every current version verified and decrypted
(`reading.read_environment` calls ``keep_opened``); an answer no read opens is never kept. A
write's reading again of what it wrote, which no read opens, is opened by ``opens_whole``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import EnvkeepError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.backend import Backend
    from envkeep.client.envelopes import Verify
    from envkeep.client.identity import Identity
    from envkeep.client.offline import SnapshotCache
    from envkeep.client.vault import OpenEnvironment

    # What opens a snapshot whole (``opens_whole``): True when every part of it verified.
    Opens = Callable[[EnvironmentSnapshot], bool]


@dataclass
class HeldAnswers:
    """Fetched answers not yet opened, the newest of each (environment, services) read: one
    command reading many environments holds one answer of each, not every answer it read."""

    cache: SnapshotCache
    _held: dict[tuple[str, tuple[str, ...] | None], tuple[EnvironmentSnapshot, Any, float]] = field(
        default_factory=dict
    )

    def hold(
        self,
        path: str,
        services: Sequence[str] | None,
        snapshot: EnvironmentSnapshot,
        data: Any,
        sent_at: float,
    ) -> None:
        """Hold ``data`` (the server's JSON, read as ``snapshot``, asked for at ``sent_at``)
        until it is opened."""
        self._held[path, None if services is None else tuple(services)] = (snapshot, data, sent_at)

    def keep(self, snapshot: EnvironmentSnapshot) -> None:
        """Keep, for reads offline, the answer held that was read as ``snapshot``."""
        for (path, services), (held, data, sent_at) in list(self._held.items()):
            if held is snapshot:
                del self._held[path, services]
                self.cache.save(path, services, data, sent_at=sent_at)


def opened_whole(opened: OpenEnvironment) -> bool:
    """Whether everything ``opened`` holds verified: no damaged secret, no share unopened."""
    return not opened.damaged and not opened.unopened


def keep_opened(backend: Backend, opened: OpenEnvironment) -> None:
    """Keep the answer ``opened`` was read from for reads offline, if it opened whole."""
    # Only a loaded `client/http` can have made an HttpBackend: importing it to ask would
    # load httpx on every read of the embedded store (about a third of a `get`'s time).
    http = sys.modules.get("envkeep.client.http")
    if http is not None and isinstance(backend, http.HttpBackend) and opened_whole(opened):
        backend.keep_opened(opened.snapshot)


def opens_whole(identity: Callable[[], Identity], verify: Callable[[], Verify]) -> Opens:
    """Whether a snapshot opens whole for ``identity`` (asked for when needed: a write has it
    unlocked already), its signatures checked with ``verify``."""

    def opens(snapshot: EnvironmentSnapshot) -> bool:
        from envkeep.client.vault import OpenEnvironment

        try:
            return opened_whole(OpenEnvironment(snapshot, identity(), verify()))
        except EnvkeepError:
            return False

    return opens
