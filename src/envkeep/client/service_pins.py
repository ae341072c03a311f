"""The service each name stood for when this machine first read it from a team server
(``ENVKEEP_HOME/known_services.json``, 0600; `name_pins`).

A variable of a service is sealed to the service's id, not its name, and a snapshot lists which
name each id has. So a server that swapped the names of two services of a project would be
believed: `run --service api` would start api with billing's values, each of which verifies.
Pinned, a service's name keeps its id and an id its name: a change is refused until
`envkeep service trust NAME` accepts it, after an admin removed a service and added one of
that name again (this machine's own `service add` and `service remove` pin and drop theirs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.name_pins import NamePins
from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from envkeep.app.views import ServiceView
    from envkeep.client.pin_lock_links import Warn

FILENAME = "known_services.json"


class ServicePins:
    """The pins of one workspace of one server: ``PROJECT/SERVICE`` → id."""

    def __init__(self, home: Path, url: str, workspace_id: str, warn: Warn = None) -> None:
        self._pins = NamePins(home / FILENAME, url, workspace_id, _Refusals(), "service", warn=warn)

    def check(
        self, project: str, services: Sequence[ServiceView], *, trusted: Iterable[str] = ()
    ) -> None:
        """Pin each of the project's ``services`` on first sight; refuse (IntegrityError) a
        name pinned to another id, or an id pinned under another name, unless the name is
        ``trusted`` (`service trust`)."""
        seen = {f"{project}/{s.name}": s.id for s in services}
        self._pins.check(seen, trusted=frozenset(f"{project}/{name}" for name in trusted))

    def made(self, project: str, service: ServiceView) -> None:
        """This machine added ``service`` to ``project``: pinned whatever its name stood for
        before; a pin that cannot be written is said, not raised (the server added it)."""
        self._pins.made(f"{project}/{service.name}", service.id)

    def forget(self, project: str, name: str) -> None:
        """This machine removed service ``name``: the name may stand for a new one next."""
        self._pins.forget(f"{project}/{name}")


def _trust_hint(to_trust: Sequence[str]) -> str:
    project = to_trust[0].partition("/")[0]
    services = [name.partition("/")[2] for name in to_trust]
    which = (
        f"service '{services[0]}' and added it"
        if len(services) == 1
        else f"services {', '.join(repr(s) for s in services)} and added them"
    )
    return (
        f"if an admin removed {which} again, ask them, then accept what the server says now:"
        f" envkeep service trust {' '.join(services)} --project {project}"
    )


class _Refusals:
    def changed(self, name: str, pinned: str, seen: str, to_trust: Sequence[str]) -> IntegrityError:
        return IntegrityError(
            f"service '{name}' is not the one this machine read under that name before"
            f" (id {pinned[:8]}…, now {seen[:8]}…): it was removed and added again, or the"
            " server answered with another service; nothing was read or written",
            hint=_trust_hint(to_trust),
        )

    def swapped(self, name: str, other: str, to_trust: Sequence[str]) -> IntegrityError:
        return IntegrityError(
            f"the server answered service '{name}' with the one this machine read as"
            f" '{other}' before: the server answered with another service; nothing was read or"
            " written",
            hint=_trust_hint(to_trust),
        )
