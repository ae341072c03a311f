"""`import` names a real file called `stdin` in the hint of its refusal of a dotenvx or SOPS
file, and standard input (`-`) as FILE: it carried `-` as the name "stdin", which the
refusals took for standard input, so the hint to decrypt a file named `stdin` said FILE."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.test_dotenvx_ciphertext import DOTENVX_FILE
from tests.test_sops_ciphertext import SOPS_DOTENV

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

DECRYPT = {
    "dotenvx": "dotenvx decrypt -f {} --stdout | envkeep import -",
    "sops": "sops -d {} | envkeep import -",
}
FILES = {"dotenvx": DOTENVX_FILE, "sops": SOPS_DOTENV}


@pytest.mark.parametrize("tool", DECRYPT)
def test_import_of_an_encrypted_file_named_stdin_names_it_in_the_hint(
    envkeep: Envkeep, project: Path, tool: str
) -> None:
    (project / "stdin").write_text(FILES[tool], encoding="utf-8")

    result = envkeep("import", "stdin", "--env", "dev")

    assert result.code == 1, result.describe()
    assert DECRYPT[tool].format("stdin") in result.stderr
    assert DECRYPT[tool].format("FILE") not in result.stderr


@pytest.mark.parametrize("tool", DECRYPT)
def test_import_of_an_encrypted_standard_input_names_it_file_in_the_hint(
    envkeep: Envkeep, project: Path, tool: str
) -> None:
    (project / "stdin").write_text("A=1\n", encoding="utf-8")

    result = envkeep("import", "-", "--env", "dev", stdin=FILES[tool])

    assert result.code == 1, result.describe()
    assert "stdin is encrypted by" in result.stderr
    assert DECRYPT[tool].format("FILE") in result.stderr
