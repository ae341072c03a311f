"""A comment saying a variable is required only under a condition ("required for prod only",
"Required when TLS is on") is not noted: the note advises '# @required', which would make the
variable required everywhere, in dev too. An unconditional one still is, wherever the word
stands ("the api's secret, required")."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example


@pytest.mark.parametrize(
    "comment",
    [
        "required for prod only",
        "Required when TLS is on.",
        "required in production",
        "required if SENTRY is enabled",
        "Required unless USE_SQLITE=1",
    ],
)
def test_a_conditional_required_is_not_noted(comment: str) -> None:
    trailing = parse_env_example(f"A=1 # {comment}\n").notes
    above = parse_env_example(f"# {comment}\nA=1\n").notes

    assert (trailing, above) == ((), ())


@pytest.mark.parametrize(
    "comment", ["required", "Required.", "required by api", "the api's secret, required"]
)
def test_an_unconditional_required_is_still_noted(comment: str) -> None:
    notes = parse_env_example(f"# {comment}\nA=1\n", source="x").notes

    assert [note.text[:56] for note in notes] == [
        "x line 2: A is optional; the comment on line 1 says 'req"
    ]
