"""A pinned client's CHANGED refusal of a reset account says when it was reset in UTC, as it
says, whatever zone the server's database session gave the time in."""

from __future__ import annotations

from envkeep.app.views import PrincipalView
from envkeep.client.pins import changed_key


def _reset_at(moment: str) -> str:
    principal = PrincipalView(
        id="p",
        kind="user",
        name="bob@zones.io",
        encryption_public=b"e" * 32,
        signing_public=b"s" * 32,
        reset_by="admin@zones.io",
        reset_at=moment,
    )
    return changed_key(principal, "aaaa", "bbbb").message


def test_a_reset_time_in_tokyo_is_shown_in_utc() -> None:
    said = _reset_at("2026-12-07T14:05:09+09:00")
    assert "admin@zones.io reset their account (2026-12-07 05:05 UTC)" in said


def test_a_reset_time_in_utc_and_a_text_that_is_no_time_are_shown_as_they_are() -> None:
    assert "(2026-12-07 05:05 UTC)" in _reset_at("2026-12-07T05:05:09+00:00")
    assert "(yesterday)" in _reset_at("yesterday")
