"""The rules `envkeep edit` decides by, without a store: which deletions are asked first
(`editing.deletes_much`), the scope a kept buffer was read from (`edit_base.kept_scope`), and
what of a kept buffer is the user's change or a conflict (`edit_base.changes_since`), judged
on values, not versions: a key rotation's new version of the same value is no conflict."""

from __future__ import annotations

import pytest

from envkeep.client.edit_base import Base, changes_since, kept_scope, read_base, with_base
from envkeep.client.editing import deletes_much
from envkeep.client.opened_secrets import Variable
from envkeep.core.errors import ConflictError, UsageError


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


def _variable(name: str, value: str, version: int) -> Variable:
    return Variable(name, value, "shared", "shared", f"id-{name}", version, "now", "alice")


READ = [_variable("A", "1", 1), _variable("B", "2", 1)]


def test_a_kept_buffer_says_the_scope_it_was_read_from() -> None:
    text = with_base("A=1\n", "dev", None, READ)

    assert kept_scope(text) == ("dev", None)
    assert kept_scope(with_base("A=1\n", "prod", "api", READ)) == ("prod", "api")
    assert kept_scope("A=1\n") is None  # a file of the user's: no scope of its own


def test_a_damaged_base_line_is_refused() -> None:
    text = with_base("A=1\n", "dev", None, READ).replace('"env"', '"nv"')

    with pytest.raises(UsageError, match="base line is damaged"):
        kept_scope(text)


def test_a_rotation_since_the_buffer_was_read_is_no_conflict() -> None:
    base = kept_base()
    now = {v.name: v for v in (_variable("A", "1", 2), _variable("B", "2", 2))}  # re-encrypted

    changes = changes_since(base, {"A": "10", "B": "2", "NEW": "x"}, now, overwrite=False)

    assert changes == {"A": "10", "NEW": "x"}


def test_a_value_changed_since_the_buffer_was_read_is_a_conflict_unless_overwritten() -> None:
    base = kept_base()
    now = {v.name: v for v in (_variable("A", "5", 2), _variable("B", "2", 2))}

    with pytest.raises(ConflictError, match=r"since this text was read: A \(now version 2"):
        changes_since(base, {"A": "10", "B": "2"}, now, overwrite=False)
    assert changes_since(base, {"A": "10", "B": "2"}, now, overwrite=True) == {"A": "10"}
    # B's version moved on (a rotation), its value did not: the user's change of it is theirs
    assert changes_since(base, {"A": "1", "B": "20"}, now, overwrite=False) == {"B": "20"}


def test_a_kept_text_set_to_the_value_another_write_made_agrees_with_it() -> None:
    """After a conflict, the kept text corrected to what the other write made a name (and a
    change of its own elsewhere) applies without --overwrite: that name is nothing to write."""
    base = kept_base()
    now = {v.name: v for v in (_variable("A", "5", 2), _variable("B", "2", 1))}

    assert changes_since(base, {"A": "5", "B": "2", "NEW": "x"}, now) == {"NEW": "x"}
    with pytest.raises(ConflictError):  # dropping the line unsets it: still its change
        changes_since(base, {"B": "2", "NEW": "x"}, now)
    gone = {"B": _variable("B", "2", 1)}  # A deleted by the other write, and in the text too
    assert changes_since(base, {"B": "2", "NEW": "x"}, gone) == {"NEW": "x"}


def kept_base() -> Base:
    found = read_base(with_base("", "dev", None, READ))
    assert found is not None
    return found
