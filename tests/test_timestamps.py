"""One time format for the server's answers and the CLI's tables (`core.timestamps`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from envkeep.cli import output
from envkeep.core.timestamps import utc_second


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("2027-01-03 16:35:20.490982", "2027-01-03T16:35:20Z"),  # SQLite's naive text
        ("2027-01-03 16:35:20", "2027-01-03T16:35:20Z"),
        ("2027-01-03T16:35:20", "2027-01-03T16:35:20Z"),
        ("2027-01-03T17:35:20+01:00", "2027-01-03T16:35:20Z"),
        ("2027-01-03T16:35:20Z", "2027-01-03T16:35:20Z"),
        ("2027-01-03T17:35:20.123456+01:00", "2027-01-03T16:35:20Z"),  # a fraction, an offset
        ("2027-01-03 11:35:20.5-05:00", "2027-01-03T16:35:20Z"),
        ("2027-01-03T16:35:20.123456Z", "2027-01-03T16:35:20Z"),
        (datetime(2027, 1, 3, 16, 35, 20, 9), "2027-01-03T16:35:20Z"),
        (
            datetime(2027, 1, 3, 11, 35, 20, tzinfo=timezone(timedelta(hours=-5))),
            "2027-01-03T16:35:20Z",
        ),
        (datetime(2027, 1, 3, 16, 35, 20, tzinfo=UTC), "2027-01-03T16:35:20Z"),
    ],
    ids=[
        "sqlite-micro",
        "sqlite",
        "naive-t",
        "offset",
        "zulu",
        "fraction-offset",
        "fraction-minus",
        "fraction-zulu",
        "naive-dt",
        "aware-dt",
        "utc-dt",
    ],
)
def test_every_time_is_shown_in_utc_to_the_second(given: str | datetime, shown: str) -> None:
    assert utc_second(given) == shown
    if isinstance(given, str):
        assert output.moment(given) == shown


def test_text_shaped_like_no_time_is_refused_and_tables_show_it_as_sent() -> None:
    odd = "not a time, nineteen"  # 19+ characters, no date in it
    with pytest.raises(ValueError, match="Invalid isoformat"):
        utc_second(odd)
    assert output.moment(odd) == odd
    assert output.moment(None) == "-"
