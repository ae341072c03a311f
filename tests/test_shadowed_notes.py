"""The notes after a shared write name at most five services a name is overridden in, and at
most five names, then how many more (`client/shadowed_shared.shadow_notes`)."""

from __future__ import annotations

from envkeep.client.shadowed_shared import Shadowed, shadow_notes

SEVEN = tuple(f"svc{i}" for i in range(1, 8))


def test_a_name_overridden_in_seven_services_names_five_and_counts_the_rest() -> None:
    (note,) = shadow_notes("staging", [Shadowed("LOG_LEVEL", SEVEN)])

    assert note == (
        "note: LOG_LEVEL is overridden in svc1, svc2, svc3, svc4, svc5 and 2 more (their own"
        " values win); see: envkeep explain LOG_LEVEL --env staging --service svc1"
    )


def test_seven_overridden_names_get_five_notes_and_a_count_of_the_other_two() -> None:
    shadowed = [Shadowed(f"NAME_{i}", ("api",)) for i in range(7)]

    notes = shadow_notes("dev", shadowed)

    assert [n.split(" is ")[0] for n in notes[:5]] == [f"note: NAME_{i}" for i in range(5)]
    assert notes[5] == (
        "note: 2 more names are overridden in services too; see each with:"
        " envkeep explain NAME --env dev --service SERVICE"
    )
    assert len(notes) == 6


def test_no_shadowed_name_gives_no_note() -> None:
    assert shadow_notes("dev", []) == []
