"""What envkeep prints as text for a person (confirmations, `whoami`'s lines, errors and
hints) cannot act on their terminal: a name another user chose (a workspace's, stored before
the server refused control characters in it) carries no escape sequence or line redraw
through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli import output
from envkeep.cli.errors import report
from envkeep.core.errors import NotFoundError

if TYPE_CHECKING:
    import pytest

EVIL = "acme\x1b]0;owned\x07\x1b[2K\rwelcome to prod\x9b"


def test_a_confirmation_and_a_line_show_control_characters_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.done(f"joined workspace '{EVIL}'")
    output.say(f"workspace: {EVIL}\tnext")

    captured = capsys.readouterr()
    assert captured.err == "joined workspace 'acme\\x1b]0;owned\\x1b[2Kwelcome to prod\\x9b'\n"
    assert captured.out == "workspace: acme\\x1b]0;owned\\x1b[2Kwelcome to prod\\x9b\tnext\n"


def test_an_error_and_its_hint_show_control_characters_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = report(NotFoundError(f"no '{EVIL}'", hint=f"see '{EVIL}'\nnext"), debug=False)

    err = capsys.readouterr().err
    assert code == NotFoundError.exit_code
    assert not {"\x1b", "\r", "\x9b"} & set(err)
    assert err.splitlines() == [
        "error: no 'acme\\x1b]0;owned\\x1b[2Kwelcome to prod\\x9b'",
        "hint: see 'acme\\x1b]0;owned\\x1b[2Kwelcome to prod\\x9b'",
        "next",
    ]
