"""`envkeep export` then `envkeep import` of the file gives back the same values, `$` and all;
a file's `\\${`, quoted or not, is a literal `${`; `export -o -` writes to stdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

# As stored: `$${` is a literal `${`, `${PLAIN}` a reference.
STORED = {
    "PLAIN": "ok",
    "PASSWORD": "pa$word",
    "LITERAL_REF": "$${X}",
    "DOLLAR_THEN_LITERAL_REF": "$$${X}",
    "DOLLARS": "$HOME $$ $ $(id)",
    "QUOTE_AND_LITERAL_REF": "it's $${HOME} and $5",
    "BACKSLASH_AND_LITERAL_REF": "C:\\$${x}\\",
    "LINES_AND_LITERAL_REF": "a\n$${B}\n",
    "REFERENCE": "${PLAIN}-1",
    "SPACES": "  a  b ",
}


def test_a_dotenv_export_imports_back_to_the_same_values(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    envkeep.ok("set", *(f"{k}={v}" for k, v in STORED.items()), "--env", "dev")
    exported = envkeep.ok("export", "--env", "dev").stdout
    (tmp_path / "dev.env").write_text(exported, encoding="utf-8")

    envkeep.ok("import", str(tmp_path / "dev.env"), "--env", "staging")

    assert envkeep.ok("export", "--env", "staging").stdout == exported
    assert "PASSWORD='pa$word'\n" in exported


def test_an_escaped_dollar_keeps_a_literal_brace_quoted_or_not(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    source = tmp_path / "legacy.env"
    source.write_text('A=\\${HOME_DIR}\nB="\\${HOME_DIR}"\nC=${HOME_DIR:-x}\n', encoding="utf-8")

    imported = envkeep.ok("import", str(source), "--env", "dev")

    assert "warning" not in imported.stderr
    for name in "AB":
        assert envkeep.ok("get", name, "--env", "dev").stdout == "${HOME_DIR}\n"
    assert envkeep.ok("get", "C", "--env", "dev").stdout == "x\n"  # unescaped: a reference


def test_export_to_a_dash_writes_to_stdout(envkeep: Envkeep, project: Path) -> None:
    envkeep.ok("set", "A=1", "--env", "dev")

    result = envkeep.ok("export", "--env", "dev", "-o", "-")

    assert result.stdout == "A=1\n"
    assert not (project / "-").exists()
