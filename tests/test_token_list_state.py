"""`token list`'s STATE, EXPIRES and ENDED columns: an expired token says so, an ended one how
and when it ended, and times read as UTC whether the server sent them with their zone or, as
older servers did, without; tokens that ended long ago are left out unless asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from envkeep.cli import output
from envkeep.cli.token_cmds import _row, _state
from envkeep.client.token_list import recent_tokens

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


def _listed(account: str, ended: str | None = None, ended_at: str | None = None) -> dict[str, Any]:
    """A row of `token list --json`."""
    return {
        "principal": {"id": account},
        "label": "ci",
        "role": "read",
        "project": "shop",
        "environment": None,
        "created_by": "alice@x.io",
        "created_at": "2026-10-01T09:00:00+00:00",
        "expires_at": "2027-01-01T00:00:00+00:00",
        "revoked": ended is not None,
        "ended": ended,
        "ended_at": ended_at,
    }


def test_an_ended_token_says_how_and_when_it_ended_and_expires_no_more() -> None:
    rotated = _listed("a", "rotated out", "2026-12-04T16:00:00+00:00")
    older_server = {k: v for k, v in _listed("b").items() if k not in {"ended", "ended_at"}}

    assert _row(rotated, NOW)[-5:] == (
        "64d ago",
        "-",  # LAST USED: this server does not say
        "-",
        "40m ago",
        "rotated out",
    )
    assert _row(_listed("c"), NOW)[-3:] == ("in 27d", "-", "active")
    assert _row(older_server | {"revoked": True}, NOW)[-2:] == ("-", "revoked")


def test_tokens_that_ended_over_30_days_ago_are_left_out_and_counted_once() -> None:
    old = _listed("old", "revoked", "2026-11-04T16:39:00+00:00")
    rows = [
        _listed("live"),
        _listed("recent", "rotated out", "2026-11-04T16:41:00+00:00"),
        old,
        old | {"project": "billing"},  # a second role of the same token
        {k: v for k, v in old.items() if k != "ended_at"} | {"principal": {"id": "unknown"}},
    ]

    shown, hidden = recent_tokens(rows, NOW)

    assert [r["principal"]["id"] for r in shown] == ["live", "recent", "unknown"]
    assert hidden == 1
