"""A dotenvx-encrypted .env is refused by import, not stored as ciphertext."""

from __future__ import annotations

import pytest

from envkeep.core.errors import InputError
from envkeep.integrations.importers import parse_import

CIPHERTEXT = "encrypted:BDqDBibm4wsYqMpCjTQ6BsDHmMadg9K3dAt+Z9HPMLr1/R4rMkDAJOM7kgFDiNHK3FTx=="
DOTENVX_FILE = f"""#/---[DOTENV_PUBLIC_KEY]---/
DOTENV_PUBLIC_KEY="034af93e93708b994c10f236c96ef88e47291066946cce2e8d98c9e02c741ced45"
# .env
HELLO="{CIPHERTEXT}"
PLAIN=ok
"""


@pytest.mark.parametrize("literal", [False, True])
def test_a_dotenvx_encrypted_file_is_refused_naming_its_variables(literal: bool) -> None:
    with pytest.raises(InputError) as caught:
        parse_import(DOTENVX_FILE.encode(), fmt="dotenv", source=".env", literal=literal)

    error = caught.value
    assert error.message.startswith(".env is encrypted by dotenvx: the values of HELLO are")
    assert error.hint is not None
    assert "dotenvx decrypt -f .env --stdout | envkeep import -" in error.hint
    assert CIPHERTEXT not in f"{error.message} {error.hint}"


@pytest.mark.parametrize("value", ["encrypted:yes", "encrypted: at rest by the disk", ""])
def test_a_value_that_merely_starts_with_the_word_is_imported(value: str) -> None:
    result = parse_import(f"MODE='{value}'\n".encode(), fmt="dotenv", source=".env")

    assert result.values == {"MODE": value}
