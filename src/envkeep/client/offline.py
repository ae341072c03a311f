"""The last snapshots fetched from a team server, kept (as ciphertext, exactly what the server
sent) so that reads — `envkeep run` first of all — still work when the server is unreachable,
for as long as the copy is younger than a maximum age. A read the server refuses (no role
there any more, or no such environment) deletes its kept copy."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import UnreachableError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

DEFAULT_MAX_AGE = 24 * 3600.0


@dataclass
class SnapshotCache:
    """Snapshots by environment (its URL path) and the scopes read (a query), with when they
    were fetched: ``directory/<environment>/<scopes>.json``."""

    directory: Path
    max_age: float = DEFAULT_MAX_AGE
    notify: Callable[[str], None] | None = None
    clock: Callable[[], float] = time.time

    def _folder(self, environment: str) -> Path:
        return self.directory / _digest(environment, 32)

    def _path(self, environment: str, scopes: str) -> Path:
        return self._folder(environment) / (_digest(scopes, 16) + ".json")

    def save(self, environment: str, scopes: str, data: Any) -> None:
        """Keep the server's answer (ciphertext only) with its time."""
        body = json.dumps({"fetched_at": self.clock(), "snapshot": data})
        try:
            write_atomic(self._path(environment, scopes), body.encode(), mode=0o600)
        except OSError:
            return  # a cache: failing to keep one must not fail the read

    def forget(self, environment: str) -> None:
        """Delete every answer kept of ``environment``, whatever scopes it read: the server
        refused a read there (the reader lost its role, or the environment is gone), so no
        copy of it should outlive the refusal here."""
        shutil.rmtree(self._folder(environment), ignore_errors=True)

    def load(self, environment: str, scopes: str, error: UnreachableError) -> Any:
        """The kept answer when the server cannot be reached; re-raise when none is fresh."""
        try:
            body = json.loads(self._path(environment, scopes).read_text())
        except (OSError, ValueError):
            raise error from None
        age = self.clock() - float(body["fetched_at"])
        if age > self.max_age:
            raise UnreachableError(
                f"{error.message}; the copy kept here is {_ago(age)} old",
                hint="reach the server, or run with an older copy: envkeep run --max-age 3d …",
            ) from None
        if self.notify is not None:
            self.notify(f"warning: server unreachable; using the copy fetched {_ago(age)} ago")
        return body["snapshot"]


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def parse_age(text: str) -> float:
    """``24h``, ``90m``, ``7d`` or a number of seconds → seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    unit = text[-1:] if text[-1:] in units else "s"
    number = text[:-1] if text[-1:] in units else text
    try:
        return float(number) * units[unit]
    except ValueError:
        from envkeep.core.errors import UsageError

        raise UsageError(f"'{text}' is not an age", hint="e.g. 24h, 90m or 7d") from None
