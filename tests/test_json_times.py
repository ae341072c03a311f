"""Every `--json` writes a time as `list --json` and `history --json` do, to the second in UTC
with a `Z` (what jq's `fromdate` reads): the server's records (tokens, sessions, audit events,
members and invites) came through with `+00:00` and microseconds."""

from __future__ import annotations

from envkeep.cli.output import utc_times


def test_a_servers_times_are_written_to_the_second_with_a_z() -> None:
    record = {
        "at": "2026-12-06T11:54:10.799015+00:00",
        "expires_at": "2026-12-06T13:54:10+02:00",
        "ended_at": None,
        "name": "2026-12-06T11:54:10.799015+00:00",  # not a time field: left as it is
        "seq": 3,
    }

    assert utc_times(record) == {
        "at": "2026-12-06T11:54:10Z",
        "expires_at": "2026-12-06T11:54:10Z",
        "ended_at": None,
        "name": "2026-12-06T11:54:10.799015+00:00",
        "seq": 3,
    }


def test_exact_times_keep_the_microseconds_in_utc_with_a_z() -> None:
    """`audit --json`: as the store keeps the time, six digits whatever the fraction."""
    record = {
        "at": "2026-12-06T13:54:10.799015+02:00",
        "made_at": "2026-12-06 11:54:10",  # SQLite's naive text: UTC
        "name": "2026-12-06T11:54:10.799015+00:00",
    }

    assert utc_times(record, exact=True) == {
        "at": "2026-12-06T11:54:10.799015Z",
        "made_at": "2026-12-06T11:54:10.000000Z",
        "name": "2026-12-06T11:54:10.799015+00:00",
    }
