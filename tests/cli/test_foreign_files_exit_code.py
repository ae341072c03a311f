"""A file dotenvx or SOPS encrypted, given to `decrypt`, `encrypt` or `run -f`, exits with one
code, README's for a file whose contents envkeep cannot use (1): `decrypt` exited 2, the
others 1, so a script could not tell the refusal by its code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .test_foreign_ciphertext_files import FILES

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

COMMANDS = {
    "decrypt": ("decrypt", "{}", "-o", "-"),
    "encrypt": ("encrypt", "{}", "-o", "-"),
    "run -f": ("run", "-f", "{}", "--", "true"),
}


@pytest.mark.parametrize("tool", sorted(FILES))
def test_another_tools_file_exits_1_in_decrypt_encrypt_and_run_file(
    envkeep: Envkeep, project: Path, tool: str
) -> None:
    source = project / ".env.production"
    source.write_text(FILES[tool][0], encoding="utf-8")

    codes = {
        name: envkeep(*(arg.format(source) for arg in args)).code for name, args in COMMANDS.items()
    }

    assert codes == {"decrypt": 1, "encrypt": 1, "run -f": 1}


def test_readme_exit_code_table_names_another_tools_file_under_1() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| 1 |"))

    assert "dotenvx" in row
    assert "SOPS" in row
