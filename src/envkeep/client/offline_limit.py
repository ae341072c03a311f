"""How old a kept copy (``client/offline``) a command may read when the team server cannot be
reached, what set that limit, and the words that say so.

Lowest to highest: the command's default, ENVKEEP_MAX_AGE, then `run --max-age` (for `run`).
Reads default to a day; commands that build files from the values (`export`, `activate-all`:
``artifact``) to an hour, since what they write is deployed, not read by a person who sees the
warning. An age of 0, or ``off``, uses no copy at all: the command fails as it would without.

A copy fetched "ahead of the clock" (this machine's clock set back since it was kept) has no
age to know: it passes a limit when no further ahead than the limit, as a small step back
(NTP) leaves it, and is refused further ahead, where the clock looks wrong (a reset to a
default date passed every copy, however old).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from envkeep.core.errors import (
    SchemaChanged,
    ServerFailed,
    StorageFull,
    StoreUnavailable,
    UnreachableError,
    UsageError,
)

VARIABLE = "ENVKEEP_MAX_AGE"
READS_DEFAULT = "24h"
ARTIFACTS_DEFAULT = "1h"
ARTIFACT_COMMANDS = "export and activate-all"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_OFF = frozenset({"0", "off"})
_FORMS = "give an age (90m, 24h, 7d, or seconds: 3600), or 0 or off to never use a copy kept"
_FORMS += " for offline reads"

# What set a limit: the defaults (of reads, of artifacts), the variable, or run's flag.
Source = Literal["reads", "artifacts", "variable", "flag"]


@dataclass(frozen=True)
class OfflineLimit:
    """The oldest copy a command may read (``seconds``; None: none), as ``written``, and what
    set it."""

    seconds: float | None
    written: str
    source: Source

    def allows(self, age: float) -> bool:
        """Whether a copy ``age`` seconds old (below 0: ahead of the clock) may be read."""
        return self.seconds is not None and abs(age) <= self.seconds

    def warning(self, age: float, error: UnreachableError | None = None) -> str:
        """The stderr line of a command that reads a copy ``age`` seconds old because of
        ``error``."""
        refuse = "--max-age off" if self.source == "flag" else f"{VARIABLE}=off"
        return (
            f"warning: {_why(error)}; using the copy {_fetched(age)}"
            f" (limit {self.written}, {self._set_by}; refuse kept copies with {refuse})"
        )

    def refusal(self, error: UnreachableError, age: float) -> UnreachableError:
        """``error``, saying the copy kept (``age`` seconds old) is refused, and how to take it."""
        take = self._command(age_above(abs(age)))
        if self.seconds is not None and age < 0:
            return self._ahead(error, -age, take)
        if self.seconds is None:
            why = f"and {self._setting(self.written)} refuses kept copies"
        else:
            why = f"over the limit of {self.written} ({self._set_by})"
        kept = f"is {ago(age)} old" if age >= 0 else f"was {_fetched(age)}"
        return UnreachableError(
            f"{error.message}; the copy kept here {kept}, {why}",
            hint=f"reach the server, or take a copy this old: {take} …",
        )

    def _ahead(self, error: UnreachableError, ahead: float, take: str) -> UnreachableError:
        """``error``, saying the copy kept was fetched ``ahead`` seconds past this machine's
        clock, further than the limit: the clock looks wrong."""
        return UnreachableError(
            f"{error.message}; the copy kept here was fetched {ago(ahead)} ahead of this"
            f" machine's clock, further than the limit of {self.written} ({self._set_by}):"
            " the clock looks wrong",
            hint="set the clock right, then run the command (envkeep run …) with the server in"
            f" reach to keep a new copy; if the clock is right, take this one: {take} …",
        )

    @property
    def _set_by(self) -> str:
        return {
            "reads": "the default",
            "artifacts": f"the default of {ARTIFACT_COMMANDS}",
            "variable": VARIABLE,
            "flag": "--max-age",
        }[self.source]

    def _setting(self, written: str) -> str:
        return f"--max-age {written}" if self.source == "flag" else f"{VARIABLE}={written}"

    def _command(self, written: str) -> str:
        if self.source == "flag":
            return f"envkeep run --max-age {written}"
        return f"{VARIABLE}={written} envkeep"


def offline_limit(
    variable: str | None, *, flag: OfflineLimit | None, artifact: bool
) -> OfflineLimit:
    """The limit of a command: run's ``flag`` if given, else ENVKEEP_MAX_AGE (``variable``,
    as written; a usage error if it is not an age), else the default of reads or of an
    ``artifact``."""
    if flag is not None:
        return flag
    if variable is not None:
        return OfflineLimit(_max_age(variable, VARIABLE), variable.strip(), "variable")
    if artifact:
        return OfflineLimit(parse_age(ARTIFACTS_DEFAULT), ARTIFACTS_DEFAULT, "artifacts")
    return OfflineLimit(parse_age(READS_DEFAULT), READS_DEFAULT, "reads")


def flag_limit(text: str) -> OfflineLimit:
    """`run --max-age`'s limit; a usage error if ``text`` is not an age."""
    return OfflineLimit(_max_age(text, "--max-age"), text.strip(), "flag")


def _max_age(text: str, name: str) -> float | None:
    """``text`` (``name``'s) in seconds; None for 0 or off."""
    written = text.strip().lower()
    if written in _OFF:
        return None
    try:
        seconds = parse_age(written)
    except UsageError:
        raise UsageError(f"{name} is {text!r}, not an age", hint=_FORMS) from None
    return seconds or None  # 0s, 0h: as 0


def parse_age(text: str) -> float:
    """``24h``, ``90m``, ``7d``, ``1.5h`` or a number of seconds → seconds."""
    found = _AGE.fullmatch(text.strip())
    if found is None:
        raise UsageError(f"'{text}' is not an age", hint="e.g. 24h, 90m or 7d")
    return float(found[1]) * _UNITS[found[2] or "s"]


def ago(seconds: float) -> str:
    """How long ago, as the fallback line and refusals say it."""
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def _fetched(age: float) -> str:
    """When a copy ``age`` seconds old was fetched, in words; a negative age (this machine's
    clock was set back after the copy was kept) has no "ago" to say."""
    if age < 0:
        return "fetched at a time this machine's clock, set back since, has not reached"
    return f"fetched {ago(age)} ago"


def age_above(seconds: float) -> str:
    """An age a copy ``seconds`` old passes: whole hours under two days, else days."""
    hours = math.floor(seconds / 3600) + 1
    return f"{hours}h" if hours < 48 else f"{math.floor(seconds / 86400) + 1}d"


def _why(error: UnreachableError | None) -> str:
    """Why the server's answer is missing, as the fallback line says it: a server that answered
    503 or 500 was reached, and its operator looks at its database or its log, not the network."""
    if isinstance(error, SchemaChanged):
        return "the server stopped serving: its database's schema changed under it"
    if isinstance(error, StorageFull):
        return "the server answers, but its database is out of disk space"
    if isinstance(error, StoreUnavailable):
        return "the server answers, but its database does not"
    if isinstance(error, ServerFailed):
        return "the server failed with an error of its own"
    return "server unreachable"
