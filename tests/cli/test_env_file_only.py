"""`run --file` and `encrypt` given a YAML or JSON file (what `sops exec-env` runs with) say it
is one and how to use its values, not the dotenv parser's "expected '='" on line 1."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PASSPHRASE = {"ENVKEEP_FILE_PASSPHRASE": "correct horse battery"}


def test_run_file_of_a_yaml_file_says_it_is_yaml_and_how_to_run_with_its_values(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "secrets.yaml"
    source.write_text("db:\n  password: pw\n", encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep(
        "run", "-f", str(source), "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"
    )  # fmt: skip

    assert result.code == 1, result.describe()
    assert not marker.exists()
    assert f"{source} is YAML: run reads a .env file (NAME=value lines)" in result.stderr
    assert f"envkeep import {source} --env ENV, then envkeep run --env ENV" in result.stderr
    assert "expected '='" not in result.stderr


def test_encrypt_of_a_json_file_says_it_is_json_and_writes_nothing(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    source = tmp_path / "secrets.json"
    source.write_text('{"API_KEY": "k"}\n', encoding="utf-8")

    result = envkeep("encrypt", str(source), "--passphrase", env=PASSPHRASE)

    assert result.code == 1, result.describe()
    assert not (tmp_path / "secrets.json.enc").exists()
    assert f"{source} is JSON: encrypt reads a .env file" in result.stderr
    assert f"envkeep import {source} --env ENV" in result.stderr


def test_a_dotenv_file_named_yaml_still_runs_and_a_broken_env_keeps_the_line(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    named_yaml = tmp_path / "app.yaml"
    named_yaml.write_text("GREETING=hi\n", encoding="utf-8")
    broken = tmp_path / "app.env"
    broken.write_text("GREETING hi\n", encoding="utf-8")

    ran = envkeep.ok("run", "-f", str(named_yaml), "--", "sh", "-c", "echo $GREETING")
    refused = envkeep("run", "-f", str(broken), "--", "true")

    assert ran.stdout == "hi\n"
    assert refused.code == 1
    assert f"{broken}:1: expected '=' after the variable name" in refused.stderr
