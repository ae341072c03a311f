"""`run --file` and `encrypt` refuse a .env that dotenvx or SOPS encrypted: the command is not
run with ciphertext for values, and no file sealing ciphertext is written."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

DOTENVX_VALUE = "encrypted:BDqDBibm4wsYqMpCjTQ6BsDHmMadg9K3dAt+Z9HPMLr1/R4rMkDAJOM7kgFDiNHK3FTx=="
DOTENVX_FILE = f"""#/-------------------[DOTENV_PUBLIC_KEY]--------------------/
DOTENV_PUBLIC_KEY_PRODUCTION="034af93e93708b994c10f236c96ef88e47291066946cce2e8d98c9e02c741ced45"
# .env.production
PORT=8080
STRIPE_KEY="{DOTENVX_VALUE}"
"""
SOPS_VALUE = "ENC[AES256_GCM,data:3dGk1lQwR2s=,iv:q1w2e3r4t5y6u7i8o9p0aa==,tag:zXcV==,type:str]"
SOPS_FILE = f"""STRIPE_KEY={SOPS_VALUE}
sops_lastmodified=2026-12-01T10:00:00Z
sops_mac=ENC[AES256_GCM,data:bWFjbWFj,iv:aXZpdg==,tag:dGFn,type:str]
sops_version=3.8.1
"""
FILES = {"dotenvx": (DOTENVX_FILE, DOTENVX_VALUE), "SOPS": (SOPS_FILE, SOPS_VALUE)}
DECRYPT = {"dotenvx": "dotenvx decrypt -f", "SOPS": "sops -d -i"}
PASSPHRASE = {"ENVKEEP_FILE_PASSPHRASE": "correct horse battery"}


def _touch(marker: Path) -> list[str]:
    return [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]


@pytest.mark.parametrize("tool", sorted(FILES))
def test_run_file_of_another_tools_encrypted_env_is_refused_before_the_command_runs(
    envkeep: Envkeep, tmp_path: Path, tool: str
) -> None:
    text, ciphertext = FILES[tool]
    source = tmp_path / ".env.production"
    source.write_text(text, encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep("run", "-f", str(source), "--", *_touch(marker))

    assert result.code == 1, result.describe()
    assert not marker.exists()
    assert f"is encrypted by {tool}: the values of STRIPE_KEY are ciphertext" in result.stderr
    assert "which run would pass to the command as it is" in result.stderr
    assert f"{DECRYPT[tool]} {source}, then encrypt it with envkeep" in result.stderr
    assert ciphertext not in result.stderr


@pytest.mark.parametrize("tool", sorted(FILES))
def test_encrypt_of_another_tools_encrypted_env_writes_nothing(
    envkeep: Envkeep, tmp_path: Path, tool: str
) -> None:
    source = tmp_path / ".env.production"
    source.write_text(FILES[tool][0], encoding="utf-8")
    target = tmp_path / "out.enc"

    result = envkeep(
        "encrypt", str(source), "-o", str(target), "--passphrase", env=PASSPHRASE
    )  # fmt: skip

    assert result.code == 1, result.describe()
    assert not target.exists()
    assert f"is encrypted by {tool}" in result.stderr
    assert "which encrypt would encrypt as it is" in result.stderr


def test_a_value_that_only_looks_like_ciphertext_still_runs(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "app.env"
    source.write_text("MODE=encrypted:yes\nNOTE='ENC[ marks sops values'\n", encoding="utf-8")
    marker = tmp_path / "ran"

    envkeep.ok("run", "-f", str(source), "--", *_touch(marker))

    assert marker.exists()
