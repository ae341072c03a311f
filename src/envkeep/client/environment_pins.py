"""The environment each name stood for when this machine first read it from a team server
(``ENVKEEP_HOME/known_environments.json``, 0600), as keys are pinned (`client/pins.py`).

A client asks for an environment by name and is given its id, data key and values, each of
which verifies; nothing else binds the name to the id. So a server that answered `prod` with
dev's environment (one the reader holds the key of) would be believed, for reads and for the
writes made after them. Pinned, the name must keep its id, and an id its name: a change is
refused until `envkeep env trust NAME` accepts it, after an admin renamed, deleted or
re-created environments (this machine's own renames and deletions move or drop its pins).
Several processes may pin at once: every write merges into the file under its lock.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.core.errors import IntegrityError
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

FILENAME = "known_environments.json"


class EnvironmentPins:
    """The pins of one workspace of one server: ``SERVER|WORKSPACE|PROJECT/ENV`` → id."""

    def __init__(self, home: Path, url: str, workspace_id: str) -> None:
        self._path = home / FILENAME
        self._prefix = f"{url}|{workspace_id}|"

    def check(self, project: str, env: str, env_id: str, *, trusted: bool = False) -> None:
        """Pin ``project/env`` to ``env_id`` on first sight; refuse (IntegrityError) a name
        pinned to another id, or an id pinned under another name, unless ``trusted``
        (`env trust`): then the pins are made to say what the server says now."""
        name = f"{project}/{env}"
        seen = self._load()
        if seen.get(self._prefix + name) == env_id:
            return  # the common case: no lock, no write
        if not trusted:
            self._refuse_mismatch(seen, project, env, env_id)
        try:
            with exclusive(self._path):
                pins = self._load()
                if not trusted:  # another process may have pinned it meanwhile
                    self._refuse_mismatch(pins, project, env, env_id)
                for known, known_id in self._mine(pins).items():
                    if known_id == env_id:  # accepted: the id stands for this name alone now
                        del pins[self._prefix + known]
                pins[self._prefix + name] = env_id
                self._save(pins)
        except OSError:  # a home that cannot be written (a CI job's) still reads, unpinned
            return

    def _refuse_mismatch(self, pins: dict[str, str], project: str, env: str, env_id: str) -> None:
        """Refuse a name pinned to another id, or this id pinned under another name."""
        name = f"{project}/{env}"
        pinned = pins.get(self._prefix + name)
        if pinned is not None and pinned != env_id:
            raise _changed(env, project, pinned, env_id)
        other = next((n for n, i in self._mine(pins).items() if i == env_id), None)
        if other is not None and other != name:
            raise _swapped(env, project, other)

    def moved(self, project: str, old: str, new: str) -> None:
        """This machine renamed ``project/old`` to ``new``: its pin moves with it."""
        with exclusive(self._path):
            pins = self._load()
            env_id = pins.pop(f"{self._prefix}{project}/{old}", None)
            if env_id is not None:
                pins[f"{self._prefix}{project}/{new}"] = env_id
                self._save(pins)

    def forget(self, project: str, env: str) -> None:
        """This machine deleted ``project/env``: the name may stand for a new one next."""
        with exclusive(self._path):
            pins = self._load()
            if pins.pop(f"{self._prefix}{project}/{env}", None) is not None:
                self._save(pins)

    def _mine(self, pins: dict[str, str]) -> dict[str, str]:
        """``PROJECT/ENV`` → id, of this workspace's pins."""
        return {
            k.removeprefix(self._prefix): v for k, v in pins.items() if k.startswith(self._prefix)
        }

    def _load(self) -> dict[str, str]:
        from envkeep.client.pins import read_pin_file

        return read_pin_file(
            self._path, "the environments", "each environment is pinned again as it is next read"
        )

    def _save(self, pins: dict[str, str]) -> None:
        text = json.dumps(pins, indent=2, sort_keys=True)
        write_atomic(self._path, text.encode(), mode=0o600, private_parents=True)


def _trust_hint(env: str, project: str) -> str:
    return (
        f"if an admin renamed, deleted or re-created environments of {project}, ask them, then"
        f" accept what the server says now: envkeep env trust {env} --project {project}"
    )


def _changed(env: str, project: str, pinned: str, seen: str) -> IntegrityError:
    return IntegrityError(
        f"environment '{project}/{env}' is not the one this machine read under that name before"
        f" (id {pinned[:8]}…, now {seen[:8]}…): it was renamed away and another made, or the"
        " server answered with another environment; nothing was read or written",
        hint=_trust_hint(env, project),
    )


def _swapped(env: str, project: str, other: str) -> IntegrityError:
    return IntegrityError(
        f"the server answered '{project}/{env}' with the environment this machine read as"
        f" '{other}' before: it was renamed, or the server answered with another environment;"
        " nothing was read or written",
        hint=_trust_hint(env, project),
    )
