"""One way to write a time: ISO 8601 in UTC to the second (``2026-12-05T08:10:12Z``), for the
server's answers and for every table the CLI prints."""

from __future__ import annotations

from datetime import UTC, datetime


def _naive_text(value: str) -> bool:
    """True for a naive ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (either separator): SQLite's text."""
    return (
        len(value) >= 19
        and value[19:20] in {"", "."}
        and value[4] == "-"
        and value[10] in {" ", "T"}
        and value[13] == ":"
    )


def utc_second(value: str | datetime) -> str:
    """``value`` as ISO 8601 UTC to the second; a naive time is UTC already (SQLite hands times
    back as naive text). A ValueError when ``value`` is text that is not a time."""
    if isinstance(value, str) and _naive_text(value):
        return f"{value[:10]}T{value[11:19]}Z"  # no parsing needed
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
