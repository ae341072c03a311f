"""The plain table renderer prints exactly what Rich prints, in a fraction of the time."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from envkeep.cli.output import plain_table

cells = st.text(max_size=12).filter(str.isprintable)


def _rich(columns: list[str], rows: list[list[str]]) -> str:
    table = Table(*columns, box=None, pad_edge=False, header_style="")
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
    assert plain_table(columns, rows) == _rich(columns, rows)


def test_wide_characters_are_padded_by_terminal_cells() -> None:
    text = plain_table(["NAME", "VALUE"], [["名前", "x"], ["A", "yy"]])
    assert text.splitlines() == ["NAME  VALUE", "名前  x    ", "A     yy   "]
