"""The newest data key version this machine saw of each environment of a team server
(``ENVKEEP_HOME/known_key_versions.json``, 0600).

A key rotation (every revocation makes one) gives an environment a new key version, sealed
to those who keep access only. A server that answered afterwards with the older key as the
current one would be believed, each value verifying: its reads roll back, and, worse, the
writes made after them are encrypted under a key whom the rotation removed still holds. Key
versions only rise, so a lower one than this machine saw is refused for reads and writes
until `envkeep env trust NAME` accepts it (after a restore of the server's database from a
backup, which takes rotations back). Pins are by environment id: a re-created environment
starts again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.client.pin_write_failures import unless_unwritable
from envkeep.core.errors import IntegrityError
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.pin_lock_links import Warn

FILENAME = "known_key_versions.json"


class KeyVersionPins:
    """``SERVER|WORKSPACE|ENV_ID`` → the newest key version seen, for one workspace."""

    def __init__(self, home: Path, url: str, workspace_id: str, warn: Warn = None) -> None:
        self._path = home / FILENAME
        self._prefix = f"{url}|{workspace_id}|"
        self._warn = warn  # says a pin skipped for its lock file being a link

    def check(
        self, name: str, env_id: str, key_version: int, *, trusted: bool = False, pin: bool = True
    ) -> None:
        """Refuse (IntegrityError) ``key_version`` of environment ``name`` (``PROJECT/ENV``)
        when this machine saw a newer one, unless ``trusted`` (`env trust`); pin a newer one
        (with ``pin``: once the reader's share of it opened, see `EnvironmentPins.opened`)."""
        seen = self._load().get(self._prefix + env_id)
        if not trusted:
            _refuse_below(name, seen, key_version, "nothing was read or written")
        if not pin:
            return
        if seen != key_version and (seen is None or key_version > seen or trusted):
            said = "the environments' key versions this command saw first were not pinned"
            self._pin(env_id, key_version, said, trusted=trusted)

    def refuse_older(self, name: str, env_id: str, key_version: int, outcome: str) -> None:
        """Refuse (IntegrityError, ending with ``outcome``) ``key_version`` when this machine
        saw a newer one of the environment, pinning nothing (a listing's word, before a
        command changes anything)."""
        _refuse_below(name, self._load().get(self._prefix + env_id), key_version, outcome)

    def rotated(self, name: str, env_id: str, key_version: int) -> None:
        """This machine rotated the key of environment ``name`` (``PROJECT/ENV``) to
        ``key_version`` (the server made it already: a pin that cannot be written is said,
        not raised)."""
        said = (
            f"key version {key_version} of '{name}', which this command made, was not pinned:"
            " an answer with the older key is not refused here"
        )
        self._pin(env_id, key_version, said, trusted=False, always=True)

    def _pin(
        self,
        env_id: str,
        key_version: int,
        unpinned: str,
        *,
        trusted: bool,
        always: bool = False,
    ) -> None:
        with (
            unless_unwritable(self._path, unpinned, self._warn, always=always),
            exclusive(self._path),  # another process may have pinned meanwhile
        ):
            pins = self._load(to_update=True)
            key = self._prefix + env_id
            if trusted or key_version > pins.get(key, 0):
                pins[key] = key_version
                text = json.dumps(pins, indent=2, sort_keys=True).encode()
                write_atomic(self._path, text, mode=0o600, private_parents=True)

    def _load(self, *, to_update: bool = False) -> dict[str, int]:
        from envkeep.client.pins import read_pin_file

        found = read_pin_file(
            self._path,
            "the environments' key versions",
            "each environment's key version is pinned again as it is next read",
            to_update=to_update,
        )
        return {k: int(v) for k, v in found.items() if v.isdigit()}


def _refuse_below(name: str, seen: int | None, now: int, outcome: str) -> None:
    """Refuse key version ``now`` of environment ``name`` below the ``seen`` one, saying
    ``outcome`` ("nothing was read or written")."""
    if seen is None or now >= seen:
        return
    project, _, env = name.partition("/")
    raise IntegrityError(
        f"the server answered environment '{name}' with key version {now}, but this machine"
        f" has read or made key version {seen}: the environment was rolled back (a restore of"
        " the server's database from a backup, or a server answering with an older key, one"
        f" that whoever a rotation cut off may hold); {outcome}",
        hint=(
            "if the server's database was restored from a backup, ask its operator, then accept"
            f" what the server says now: envkeep env trust {env} --project {project}; then an"
            f" admin rotates the key again: envkeep env rotate-key {env} --project {project}"
        ),
    )
