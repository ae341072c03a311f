"""`decrypt` given a file that dotenvx or SOPS encrypted names that tool's decrypt: it said the
file was plain and to encrypt it with envkeep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .test_foreign_ciphertext_files import FILES, SOPS_VALUE

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SOPS_YAML = f"""DATABASE_URL: {SOPS_VALUE}
sops:
    mac: ENC[AES256_GCM,data:bWFjbWFj,iv:aXZpdg==,tag:dGFn,type:str]
    version: 3.8.1
"""
DECRYPT = {"dotenvx": "dotenvx decrypt -f {} --stdout", "SOPS": "sops -d {}"}


@pytest.mark.parametrize("tool", sorted(FILES))
def test_decrypt_of_another_tools_env_names_its_decrypt(
    envkeep: Envkeep, tmp_path: Path, tool: str
) -> None:
    source = tmp_path / ".env.production"
    source.write_text(FILES[tool][0], encoding="utf-8")

    result = envkeep("decrypt", str(source), "-o", "-")

    assert result.code == 1, result.describe()
    assert f"{source} is encrypted by {tool}, not by envkeep" in result.stderr
    assert f"decrypt it with {tool}: {DECRYPT[tool].format(source)}" in result.stderr
    assert "envkeep encrypt" not in result.stderr
    assert result.stdout == ""


def test_decrypt_of_a_sops_yaml_file_names_sops_decrypt(envkeep: Envkeep, tmp_path: Path) -> None:
    source = tmp_path / "secrets.yaml"
    source.write_text(SOPS_YAML, encoding="utf-8")

    result = envkeep("decrypt", str(source))

    assert result.code == 1, result.describe()
    assert f"hint: decrypt it with SOPS: sops -d {source}" in result.stderr
    assert not (tmp_path / "secrets.yaml.dec").exists()


def test_decrypt_of_another_tools_env_from_stdin_names_a_file(envkeep: Envkeep) -> None:
    result = envkeep("decrypt", "-", stdin=FILES["dotenvx"][0])

    assert result.code == 1, result.describe()
    assert "stdin is encrypted by dotenvx, not by envkeep" in result.stderr
    assert "dotenvx decrypt -f FILE --stdout" in result.stderr


def test_decrypt_of_a_plain_env_still_says_to_encrypt_it(envkeep: Envkeep, tmp_path: Path) -> None:
    source = tmp_path / "app.env"
    source.write_text("MODE=encrypted:yes\n", encoding="utf-8")

    result = envkeep("decrypt", str(source))

    assert result.code == 2, result.describe()
    assert "is not an envkeep-encrypted file" in result.stderr
    assert f"a plain .env file is encrypted with: envkeep encrypt {source}" in result.stderr
