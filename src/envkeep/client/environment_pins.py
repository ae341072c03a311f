"""The environment each name stood for when this machine first read it from a team server
(``ENVKEEP_HOME/known_environments.json``, 0600; `name_pins`).

A client asks for an environment by name and is given its id, data key and values, each of
which verifies; nothing else binds the name to the id. So a server that answered `prod` with
dev's environment (one the reader holds the key of) would be believed, for reads and for the
writes made after them. Pinned, the name must keep its id, and an id its name: a change is
refused until `envkeep env trust NAME` accepts it, after an admin renamed, deleted or
re-created environments (this machine's own renames and deletions move or drop its pins).
The newest key version read of each is pinned beside it (`key_version_pins`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.key_version_pins import KeyVersionPins
from envkeep.client.name_pins import NamePins
from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.client.pin_lock_links import Warn

FILENAME = "known_environments.json"


class EnvironmentPins:
    """The pins of one workspace of one server: ``PROJECT/ENV`` → id."""

    def __init__(self, home: Path, url: str, workspace_id: str, warn: Warn = None) -> None:
        refusals = _Refusals()
        path = home / FILENAME
        self._pins = NamePins(path, url, workspace_id, refusals, "environment", warn=warn)
        self._key_versions = KeyVersionPins(home, url, workspace_id, warn)

    def check(
        self,
        project: str,
        env: str,
        env_id: str,
        *,
        key_version: int | None = None,
        trusted: bool = False,
    ) -> None:
        """Pin ``project/env`` to ``env_id`` on first sight; refuse (IntegrityError) a name
        pinned to another id, or an id pinned under another name, or a ``key_version`` older
        than one seen, unless ``trusted`` (`env trust`): then the pins are made to say what
        the server says now."""
        name = f"{project}/{env}"
        self._pins.check({name: env_id}, trusted=frozenset({name} if trusted else ()))
        if key_version is not None:  # pinned once its share opens (`opened`), or as trusted
            self._key_versions.check(name, env_id, key_version, trusted=trusted, pin=trusted)

    def made(self, project: str, env: str, env_id: str) -> None:
        """This machine created ``project/env`` (``env_id``): pinned whatever the name stood
        for before; a pin that cannot be written is said, not raised (the server made it)."""
        self._pins.made(f"{project}/{env}", env_id)

    def opened(
        self, project: str, env: str, env_id: str, key_version: int, *, trusted: bool = False
    ) -> None:
        """The reader's share of ``key_version`` opened (so its sharer signed it): pin it.
        Pinned from the answer alone, a made-up key version with a share that did not open
        had every true answer after it refused as rolled back."""
        name = f"{project}/{env}"
        self._key_versions.check(name, env_id, key_version, trusted=trusted)

    def refuse_rolled_back(
        self, project: str, env: str, env_id: str, key_version: int, outcome: str
    ) -> None:
        """Refuse (IntegrityError, ending with ``outcome``) a ``key_version`` of ``project/env``
        older than one this machine read or made; pin nothing."""
        self._key_versions.refuse_older(f"{project}/{env}", env_id, key_version, outcome)

    def rotated(self, project: str, env: str, env_id: str, key_version: int) -> None:
        """This machine rotated the environment's key: an answer with an older one is refused."""
        self._key_versions.rotated(f"{project}/{env}", env_id, key_version)

    def moved(self, project: str, old: str, new: str) -> None:
        """This machine renamed ``project/old`` to ``new``: its pin moves with it."""
        self._pins.moved(f"{project}/{old}", f"{project}/{new}")

    def forget(self, project: str, env: str) -> None:
        """This machine deleted ``project/env``: the name may stand for a new one next."""
        self._pins.forget(f"{project}/{env}")


def _split(name: str) -> tuple[str, str]:
    project, _, env = name.partition("/")
    return project, env


def _trust_hint(env: str, project: str) -> str:
    return (
        f"if an admin renamed, deleted or re-created environments of {project}, ask them, then"
        f" accept what the server says now: envkeep env trust {env} --project {project}"
    )


class _Refusals:
    # An environment is checked alone: ``to_trust`` is ``[name]``.
    def changed(self, name: str, pinned: str, seen: str, to_trust: Sequence[str]) -> IntegrityError:
        project, env = _split(name)
        return IntegrityError(
            f"environment '{name}' is not the one this machine read under that name before"
            f" (id {pinned[:8]}…, now {seen[:8]}…): it was renamed away and another made, or the"
            " server answered with another environment; nothing was read or written",
            hint=_trust_hint(env, project),
        )

    def swapped(self, name: str, other: str, to_trust: Sequence[str]) -> IntegrityError:
        project, env = _split(name)
        return IntegrityError(
            f"the server answered '{name}' with the environment this machine read as"
            f" '{other}' before: it was renamed, or the server answered with another environment;"
            " nothing was read or written",
            hint=_trust_hint(env, project),
        )
