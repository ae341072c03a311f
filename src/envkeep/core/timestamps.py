"""One way to write a time: ISO 8601 in UTC to the second (``2026-12-05T08:10:12Z``), for the
server's answers and for every table the CLI prints; and to the microsecond
(``2026-12-05T08:10:12.345678Z``) where the second is not enough (an audit event's ``at``)."""

from __future__ import annotations

from datetime import UTC, datetime


def _naive_text(value: str) -> bool:
    """True for a naive ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (either separator): SQLite's text.
    Nothing but digits may follow the fraction's point: ``.123456+01:00`` has an offset."""
    return (
        len(value) >= 19
        and (value[19:] == "" or (value[19] == "." and value[20:].isdigit()))
        and value[4] == "-"
        and value[10] in {" ", "T"}
        and value[13] == ":"
    )


def as_utc(value: str | datetime) -> datetime:
    """``value`` as an aware time in UTC; a naive one is UTC already (SQLite hands times back
    as naive text, and older servers sent them so). A ValueError when ``value`` is text that
    is not a time."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def utc_second(value: str | datetime) -> str:
    """``value`` as ISO 8601 UTC to the second (`as_utc`)."""
    if isinstance(value, str) and _naive_text(value):
        return f"{value[:10]}T{value[11:19]}Z"  # no parsing needed
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_exact(value: str | datetime) -> str:
    """``value`` as ISO 8601 UTC to the microsecond, always six digits (`as_utc`): as the
    store keeps it, so that a time read back as ``--until`` falls where the event does."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
