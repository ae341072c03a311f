"""The rules `envkeep edit` decides by, without a store: which deletions are asked first
(`editing.deletes_much`)."""

from __future__ import annotations

import pytest

from envkeep.client.editing import deletes_much


@pytest.mark.parametrize(
    ("unset", "held", "asked"),
    [
        (3, 4, True),  # most of the scope
        (3, 6, False),  # half: not more than half
        (4, 7, True),
        (2, 2, False),  # a couple, even all of them (an emptied buffer is cancelled anyway)
        (2, 3, False),
        (1, 1, False),
        (0, 0, False),
    ],
)
def test_an_edit_is_asked_first_when_it_unsets_more_than_half_and_more_than_two(
    unset: int, held: int, asked: bool
) -> None:
    before = {f"N{i}": "v" for i in range(held)}
    changes: dict[str, str | None] = {f"N{i}": None for i in range(unset)}
    changes["ADDED"] = "1"  # a value set is no deletion

    assert deletes_much(changes, before) is asked
