"""The plain table renderer prints exactly what Rich prints, in a fraction of the time."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from envkeep.cli.output import MASK, plain_table, print_table

if TYPE_CHECKING:
    import pytest

cells = st.text(max_size=12).filter(str.isprintable)


def _rich(columns: list[str], rows: list[list[str]]) -> str:
    table = Table(box=None, pad_edge=False, header_style="")
    for column in columns:
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    out = io.StringIO()
    Console(file=out, width=1_000_000, highlight=False, no_color=True).print(table)
    return out.getvalue()


@settings(max_examples=500)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            st.lists(cells.filter(bool), min_size=n, max_size=n),
            st.lists(st.lists(cells, min_size=n, max_size=n), min_size=1, max_size=6),
        )
    )
)
def test_plain_table_prints_what_rich_prints(table: tuple[list[str], list[list[str]]]) -> None:
    columns, rows = table
    plain = plain_table(columns, rows)
    assert plain is None or plain == _rich(columns, rows)


def test_a_list_of_masked_values_takes_the_plain_path() -> None:
    rows = [["DATABASE_URL", MASK, "shared", "3"], ["PORT", MASK, "service:api", "12"]]
    columns = ["NAME", "VALUE", "SCOPE", "VERSION"]
    plain = plain_table(columns, rows)
    assert plain is not None
    assert plain == _rich(columns, rows)


def test_headers_print_verbatim_on_both_paths(capsys: pytest.CaptureFixture[str]) -> None:
    columns, rows = ["\\[", "[b]X[/b]"], [["1", "2"]]
    assert plain_table(columns, rows) == "\\[  [b]X[/b]\n1   2       \n"
    assert _rich(columns, rows) == plain_table(columns, rows)
    print_table(["名\\[", "[b]X[/b]"], rows, empty="none")  # wide: Rich lays it out
    assert capsys.readouterr().out.splitlines()[0] == "名\\[  [b]X[/b]"


def test_wide_characters_are_padded_by_terminal_cells(capsys: pytest.CaptureFixture[str]) -> None:
    assert plain_table(["NAME"], [["名前"]]) is None  # left to Rich
    print_table(["NAME", "VALUE"], [["名前", "x"], ["A", "yy"]], empty="none")
    assert capsys.readouterr().out.splitlines() == ["NAME  VALUE", "名前  x", "A     yy"]


def test_control_characters_in_a_cell_show_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    # A carriage return would redraw the row, an escape sequence hide the text after it.
    rows = [["CRV", "abc\rZZ"], ["ESC", "ok\x1b[8mhidden\x1b[0m"], ["TAB", "a\tb\x7f\x85"]]
    print_table(["NAME", "VALUE"], rows, empty="none")
    assert [line.rstrip() for line in capsys.readouterr().out.splitlines()] == [
        "NAME  VALUE",
        "CRV   abc\\rZZ",
        "ESC   ok\\x1b[8mhidden\\x1b[0m",
        "TAB   a\\tb\\x7f\\x85",
    ]


def test_a_line_break_in_a_cell_still_breaks_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(["NAME", "VALUE"], [["PEM", "line one\nline two"]], empty="none")
    out = capsys.readouterr().out
    assert "line one" in out
    assert "line two" in out
    assert "\\n" not in out
