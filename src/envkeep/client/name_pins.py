"""A file of names pinned to ids, for one workspace of one team server: the name keeps the id
this machine first read it under, and the id keeps its name (`environment_pins`,
`service_pins`), as public keys are pinned (`client/pins.py`).

A server answers a name with an id, and the values under that id all verify; nothing else binds
the one to the other. A change is refused (the caller says how, and how to accept it) unless
the caller trusts it: then the pins say what the server says now. Several processes may pin at
once: every write merges into the file under its lock. A home that cannot be written still
reads, and still refuses, but pins nothing new.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

from envkeep.client.pin_write_failures import unless_unwritable
from envkeep.core.errors import IntegrityError, NotAFile
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from envkeep.client.pin_lock_links import Warn


class Refusals(Protocol):
    """How one kind of pin says no: ``name`` stands for ``seen`` now, not ``pinned``; or the
    server answered ``name`` with the id this machine knows as ``other``. ``to_trust``: every
    name of the check that would be refused but for a trust (``name`` first), which the hint
    names to trust at once."""

    def changed(
        self, name: str, pinned: str, seen: str, to_trust: Sequence[str]
    ) -> IntegrityError: ...

    def swapped(self, name: str, other: str, to_trust: Sequence[str]) -> IntegrityError: ...


class NamePins:
    """``SERVER|WORKSPACE|NAME`` → id, in ``home/filename`` (0600)."""

    def __init__(
        self,
        path: Path,
        url: str,
        workspace_id: str,
        refusals: Refusals,
        kind: str,
        *,
        warn: Warn = None,
    ) -> None:
        self._path = path
        self._prefix = f"{url}|{workspace_id}|"
        self._refusals = refusals
        self._kind = kind  # what is pinned, as a damaged file's refusal says it: "service"
        self._warn = warn  # says a pin skipped for its lock file being a link

    def check(self, seen: Mapping[str, str], *, trusted: frozenset[str] = frozenset()) -> None:
        """Pin each name of ``seen`` (name → id) on first sight; refuse (IntegrityError) a name
        pinned to another id, or an id pinned under another name, unless the name is
        ``trusted``: then the pins are made to say what the server says now."""
        pins = self._load()
        if all(pins.get(self._prefix + name) == id_ for name, id_ in seen.items()):
            return  # the common case: no lock, no write
        self._refuse_mismatches(pins, seen, trusted)
        said = f"the {self._kind}s this command saw first were not pinned"
        self._write(seen, trusted, unless_unwritable(self._path, said, self._warn))

    def made(self, name: str, id_: str) -> None:
        """This machine made ``name`` (``id_``) on the server: the name stands for it from now
        on, whatever was pinned before (one deleted since). Not pinned, it is pinned as it is
        next read; said (once: `warn_once`), as any pin that follows a change on the server."""
        said = (
            f"the {self._kind} '{name}', which this command made, was not pinned: the one the"
            " server answers under that name is pinned as it is next read"
        )
        self._write({name: id_}, frozenset({name}), self._after_change(said))

    def _write(
        self,
        seen: Mapping[str, str],
        trusted: frozenset[str],
        failures: contextlib.AbstractContextManager[object],
    ) -> None:
        """Pin each name of ``seen`` to its id (the id is that name's alone then), refusing
        a mismatch not ``trusted``; a write that fails goes to ``failures``."""
        with failures, exclusive(self._path):
            pins = self._load(to_update=True)  # another process may have pinned meanwhile
            self._refuse_mismatches(pins, seen, trusted)
            mine = self._mine(pins)
            for name, id_ in seen.items():
                for known in [k for k, i in mine.items() if i == id_ and k != name]:
                    del pins[self._prefix + known], mine[known]  # the id is name's alone now
                pins[self._prefix + name] = mine[name] = id_
            self._save(pins)

    def _refuse_mismatches(
        self, pins: dict[str, str], seen: Mapping[str, str], trusted: frozenset[str]
    ) -> None:
        """Refuse the first name of ``seen`` not ``trusted`` that is pinned to another id, or
        whose id is pinned under another name; its hint trusts every such name of ``seen``,
        trusted or not, at once: trusted one at a time, each refused for the next, they never
        would be."""
        mine = self._mine(pins)
        found: list[tuple[str, str | None, str | None]] = []  # name, pinned id, other name
        for name, id_ in seen.items():
            pinned = mine.get(name)
            if pinned is not None and pinned != id_:
                found.append((name, pinned, None))
                continue
            other = next((n for n, i in mine.items() if i == id_ and n != name), None)
            if other is not None:
                found.append((name, None, other))
        first = next((f for f in found if f[0] not in trusted), None)
        if first is None:
            return
        name, pinned, other = first
        to_trust = [name, *(n for n, _pinned, _other in found if n != name)]
        if pinned is not None:
            raise self._refusals.changed(name, pinned, seen[name], to_trust)
        raise self._refusals.swapped(name, str(other), to_trust)

    def moved(self, old: str, new: str) -> None:
        """This machine renamed ``old`` to ``new``: its pin moves with it."""
        said = f"the pin of '{old}' was not moved: reads of '{new}' are refused until trusted"
        if not self._pinned(old):
            return
        with self._after_change(said), exclusive(self._path):
            pins = self._load(to_update=True)
            id_ = pins.pop(self._prefix + old, None)
            if id_ is not None:
                pins[self._prefix + new] = id_
                self._save(pins)

    def forget(self, name: str) -> None:
        """This machine deleted ``name``: the name may stand for a new one next."""
        said = f"the pin of '{name}' was not dropped: a new {self._kind} of that name is"
        if not self._pinned(name):
            return
        with self._after_change(f"{said} refused until trusted"), exclusive(self._path):
            pins = self._load(to_update=True)
            if pins.pop(self._prefix + name, None) is not None:
                self._save(pins)

    def _after_change(self, unpinned: str) -> contextlib.AbstractContextManager[object]:
        """A pin change after this machine's change on the server (a rename, a deletion): one
        that cannot be written is said (``unpinned``), not raised, which failed the command
        after its change was made (and left envkeep.toml naming the old name)."""
        return unless_unwritable(self._path, unpinned, self._warn, always=True)

    def _pinned(self, name: str) -> bool:
        """Whether ``name`` is pinned here: a name never read has no pin to follow a change,
        and nothing to say when it cannot. One that cannot be read may be."""
        try:
            return self._prefix + name in self._load()
        except (OSError, NotAFile):  # not readable either: the write says what it could not do
            return True
        except IntegrityError:  # damaged: said when it is next read
            return False

    def _mine(self, pins: dict[str, str]) -> dict[str, str]:
        """NAME → id, of this server's and workspace's pins."""
        return {
            k.removeprefix(self._prefix): v for k, v in pins.items() if k.startswith(self._prefix)
        }

    def _load(self, *, to_update: bool = False) -> dict[str, str]:
        from envkeep.client.pins import read_pin_file

        return read_pin_file(
            self._path,
            f"the {self._kind}s",
            f"each {self._kind} is pinned again as it is next read",
            to_update=to_update,
        )

    def _save(self, pins: dict[str, str]) -> None:
        text = json.dumps(pins, indent=2, sort_keys=True)
        write_atomic(self._path, text.encode(), mode=0o600, private_parents=True)
