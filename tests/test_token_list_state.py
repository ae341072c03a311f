"""`token list`'s STATE and EXPIRES columns: an expired token says so, and times read as UTC
whether the server sent them with their zone or, as older servers did, without."""

from __future__ import annotations

from datetime import UTC, datetime

from envkeep.cli import output
from envkeep.cli.token_cmds import _state

NOW = datetime(2026, 12, 4, 16, 40, tzinfo=UTC)


def _token(expires_at: str | None, *, revoked: bool = False) -> dict[str, object]:
    return {"expires_at": expires_at, "revoked": revoked}


def test_a_token_past_its_expiry_is_expired_one_before_it_active() -> None:
    assert _state(_token("2026-12-04T16:36:23.155151+00:00"), NOW) == "expired"
    assert _state(_token("2026-12-04T16:36:23.155151"), NOW) == "expired"  # an older server
    assert _state(_token("2026-12-04T16:41:00+00:00"), NOW) == "active"
    assert _state(_token(None), NOW) == "active"
    assert _state(_token("2026-12-04T16:36:23+00:00", revoked=True), NOW) == "revoked"


def test_expiry_is_shown_in_utc_as_every_table_shows_a_time() -> None:
    assert output.moment("2027-01-03T16:35:20.490982") == "2027-01-03T16:35:20Z"
    assert output.moment("2027-01-03T17:35:20+01:00") == "2027-01-03T16:35:20Z"
    assert output.moment("2027-01-03 16:35:20") == "2027-01-03T16:35:20Z"  # SQLite's text
    assert output.moment(None) == "-"
