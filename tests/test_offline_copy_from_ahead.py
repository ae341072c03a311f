"""A copy kept before this machine's clock was set back has a fetch time the clock has not
reached: its age came out negative, and the fallback line said "fetched -3600 s ago". It now
says the clock was set back; a refusal (kept copies off) says so too, and offers an age that
takes the copy, not "0h" (which would mean off)."""

from __future__ import annotations

from envkeep.client.offline_limit import offline_limit
from envkeep.core.errors import UnreachableError

DOWN = UnreachableError("cannot reach http://envkeep.test (connection refused)")


def test_the_fallback_line_says_the_clock_was_set_back() -> None:
    line = offline_limit(None, flag=None, artifact=False).warning(-3600.0, DOWN)
    assert "fetched at a time this machine's clock, set back since, has not reached" in line
    assert "-" not in line.split("using the copy", 1)[1].split("(limit", 1)[0]


def test_a_refusal_says_the_clock_was_set_back_and_offers_a_real_age() -> None:
    refused = offline_limit("off", flag=None, artifact=False).refusal(DOWN, -3600.0)
    assert (
        "the copy kept here was fetched at a time this machine's clock, set back since, has not"
        in (refused.message)
    )
    # An hour ahead needs a limit of an hour at least: 2h, as for a copy an hour old.
    assert "ENVKEEP_MAX_AGE=2h" in (refused.hint or ""), refused.hint


def test_a_copy_of_the_past_is_told_its_age_as_before() -> None:
    line = offline_limit(None, flag=None, artifact=False).warning(600.0, DOWN)
    assert "using the copy fetched 10 min ago" in line
