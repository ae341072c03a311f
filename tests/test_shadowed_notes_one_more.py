"""The count after the first five notes of a shared write says "1 more name is", not "1 more
names are" (`client/shadowed_shared.shadow_notes`)."""

from __future__ import annotations

from envkeep.client.shadowed_shared import Shadowed, shadow_notes


def test_six_overridden_names_count_the_sixth_as_one_more_name() -> None:
    shadowed = [Shadowed(f"NAME_{i}", ("api",)) for i in range(6)]

    notes = shadow_notes("dev", shadowed)

    assert notes[5] == (
        "note: 1 more name is overridden in services too; see each with:"
        " envkeep explain NAME --env dev --service SERVICE"
    )
