"""One matcher for a name that is most likely a slip for another (`core.near_names`): `set`'s
warning takes slips only, "did you mean" looser spellings after them."""

from __future__ import annotations

import pytest

from envkeep.core.near_names import suggestions, typo_of

DECLARED = ("PORT", "TOKEN", "WORKERS", "DATABASE_URL", "API", "HOST", "API_V1", "DB_HOST")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("PROT", "PORT"),  # two neighbours swapped, in a short name
        ("TOKNE", "TOKEN"),
        ("port", "PORT"),  # another case
        ("WORKRS", "WORKERS"),  # a letter left out
        ("DATABSE_URL", "DATABASE_URL"),
        ("tokne", "TOKEN"),  # both
    ],
)
def test_a_slip_is_a_typo_of_the_declared_name(typed: str, meant: str) -> None:
    assert typo_of(typed, DECLARED) == meant
    assert suggestions(typed, DECLARED)[0] == meant


@pytest.mark.parametrize("typed", ["APP", "DB", "ID", "POST", "API_V2", "DB_PORT", "LOG_LEVEL"])
def test_an_unrelated_short_name_is_no_typo(typed: str) -> None:
    assert typo_of(typed, DECLARED) is None


def test_a_name_not_found_is_offered_looser_spellings_after_the_slips() -> None:
    assert typo_of("apu", ["api", "worker"]) is None  # a write would warn of nothing
    assert suggestions("apu", ["api", "worker"]) == ["api"]  # a lookup may guess
    assert suggestions("dve", ["dev", "prod", "staging"]) == ["dev"]
    assert suggestions("stagign", ["dev", "prod", "staging"]) == ["staging"]
    assert suggestions("PORT", ["PORT"]) == []  # never the name itself
    assert suggestions("zzz", DECLARED) == []
