"""A table's lines end with their text: the shared renderer padded the last column with
spaces to its widest cell (`member sessions`, `session list`, `audit`), so a copied line, a
diff of two outputs or a test read trailing spaces. Every path prints without them: the plain
table, Rich's (wide characters, a line break in a cell), Rich's on a colour terminal, and the
audit trail a page at a time; and the real commands against a real team server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli import output, streamed
from envkeep.cli.output import print_table
from tests.cli.test_member_sessions import BOB, _team, server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.server import TeamServer

__all__ = ["server"]  # the fixture, shared with test_member_sessions

COLUMNS = ("ID", "NOTE")
ROWS = [("a-long-id", "x"), ("b", "a longer note")]


def _ends(text: str) -> list[str]:
    """The lines of ``text`` that end with a space (none should)."""
    return [line for line in text.splitlines() if line.endswith(" ")]


def test_a_plain_table_ends_each_line_with_its_text(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(COLUMNS, ROWS, empty="none")

    assert capsys.readouterr().out.splitlines() == [
        "ID         NOTE",
        "a-long-id  x",
        "b          a longer note",
    ]


def test_a_table_rich_lays_out_ends_each_line_with_its_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_table(("NAME", "VALUE"), [("名前", "x"), ("A", "yy"), ("PEM", "one\ntwo")], empty="-")

    printed = capsys.readouterr().out
    assert printed.splitlines()[:3] == ["NAME  VALUE", "名前  x", "A     yy"]
    assert _ends(printed) == []


def test_a_table_on_a_colour_terminal_ends_each_line_with_its_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(output, "_no_color", lambda: False)

    print_table(COLUMNS, ROWS, empty="none")

    printed = capsys.readouterr().out
    assert "\x1b[1m" in printed  # the bold header: Rich drew it for a terminal
    assert _ends(printed) == []
    assert [line for line in printed.splitlines() if line.endswith(" \x1b[0m")] == []
    assert printed.splitlines()[1:] == ["a-long-id  x", "b          a longer note"]


def test_a_table_printed_a_page_at_a_time_ends_each_line_with_its_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pages = [[("1", "x")], [("22", "a longer note")], [("333", "y")]]

    streamed.print_table_pages(COLUMNS, pages, empty=lambda: "none")

    assert capsys.readouterr().out.splitlines() == [
        "ID  NOTE",
        "1   x",
        "22  a longer note",
        "333  y",
    ]


def test_member_sessions_session_list_and_audit_print_no_trailing_spaces(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    _ok(bob, shop, "whoami")

    tables = {
        "member sessions": _ok(admin, shop, "member", "sessions", BOB),
        "session list": _ok(admin, shop, "session", "list"),
        "audit": _ok(admin, shop, "audit"),
    }

    for command, printed in tables.items():
        assert len(printed.splitlines()) >= 2, (command, printed)  # a header and a row
        assert _ends(printed) == [], command
