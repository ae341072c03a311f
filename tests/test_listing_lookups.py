"""`list` asks of every variable whether the service overrides it and whether that override
holds the shared value: each question scanned every variable, so listing 4,000 overrides of
4,000 shared values took 12 s. The listing reads its variables a bounded number of times,
however many it is asked about, and answers as before."""

from __future__ import annotations

from envkeep.client.listing import Listing
from envkeep.client.opened_secrets import Variable


class Counted(list[Variable]):
    """The variables, counting the scans of them."""

    scans = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.scans += 1
        return super().__iter__()


def _variable(name: str, value: str, scope: str) -> Variable:
    return Variable(name, value, scope, scope, f"{scope}-{name}", 1, "2026-12-07T00:00:00Z", "me")


def test_listing_scans_its_variables_a_bounded_number_of_times_however_many_are_asked() -> None:
    shared = [_variable(f"V{i}", f"v{i}", "shared") for i in range(200)]
    own = [_variable(f"V{i}", f"v{i}" if i % 2 else "other", "api") for i in range(200)]
    variables = Counted(shared + own)
    listing = Listing(variables, {}, (), service="api")

    overridden = [listing.overridden_by(v) for v in shared]
    same = [listing.same_as_shared(v) for v in own]

    assert variables.scans <= 2
    assert overridden == ["api"] * 200
    assert same == [bool(i % 2) for i in range(200)]
    assert listing.overridden_by(_variable("LONE", "x", "shared")) is None


def test_listing_finds_the_services_own_variable_of_a_name() -> None:
    own = _variable("A", "1", "api")
    listing = Listing([_variable("A", "1", "shared"), own], {}, (), service="api")

    assert (listing.own("A"), listing.own("B")) == (own, None)
