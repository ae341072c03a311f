"""Lifetimes as people type them: ``30d``, ``12h``, ``90m`` (a token's ``--expires``, the
server's ``token_max_lifetime``), and back to the shortest such text."""

from __future__ import annotations

from datetime import timedelta

from envkeep.core.errors import UsageError

_UNITS = {"d": 86400, "h": 3600, "m": 60}  # largest first: `duration_text` relies on it


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` → a timedelta; a UsageError for anything else."""
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0:
        raise UsageError(f"'{text}' is not a duration", hint="e.g. 30d, 12h, 90m or never")
    return timedelta(seconds=int(number) * _UNITS[unit])


def duration_text(span: timedelta) -> str:
    """``span`` in the largest unit that counts it whole (``90d``, ``36h``, ``1m``), as
    `parse_duration` reads it back; whole minutes (rounded up) otherwise."""
    seconds = int(span.total_seconds())
    for unit, size in _UNITS.items():
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{max(1, -(-seconds // 60))}m"


def about(span: timedelta) -> str:
    """``span`` roughly, for a person: ``30 days``, ``23 h``, ``45 min``."""
    seconds = span.total_seconds()
    if seconds < 7200:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
