"""`export --format`'s names: Doppler's `env` is dotenv, and a mistyped format says which one
it most likely meant, as a mistyped environment or service does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv

from .conftest import SHARED_DEV

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_export_format_env_writes_the_same_dotenv_as_format_dotenv(
    envkeep: Envkeep, seeded: Path
) -> None:
    as_env = envkeep("export", "--env", "dev", "--format", "env")
    as_dotenv = envkeep("export", "--env", "dev", "--format", "dotenv")

    assert as_env.code == 0, as_env.describe()
    assert as_env.stdout == as_dotenv.stdout
    assert parse_dotenv(as_env.stdout).values == SHARED_DEV


def test_export_format_env_appends_lines_as_dotenv_does(envkeep: Envkeep, seeded: Path) -> None:
    target = envkeep.cwd / "ci.env"
    for _ in range(2):
        result = envkeep("export", "--env", "dev", "-f", "env", "-o", str(target), "--append")
        assert result.code == 0, result.describe()

    assert target.read_text(encoding="utf-8").count("PORT=") == 2


def test_a_mistyped_export_format_says_did_you_mean_the_close_one(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("export", "--env", "dev", "--format", "jsn")

    assert result.code == 2
    assert "did you mean 'json'?" in result.stderr, result.describe()
    assert "dotenv" in result.stderr  # the known ones are still named


def test_a_file_given_as_the_format_is_not_taken_for_a_mistyped_env(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("export", "--env", "dev", "-f", ".env")

    assert result.code == 2
    assert "a file to write goes after -o" in result.stderr, result.describe()
    assert "did you mean" not in result.stderr


def test_export_help_names_env_beside_dotenv(envkeep: Envkeep) -> None:
    result = envkeep("export", "--help")

    assert result.code == 0
    assert "dotenv (or env)" in " ".join(result.stdout.split()), result.stdout


def test_runs_f_env_with_no_such_file_says_export_takes_env_as_a_format(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("run", "-f", "env", "--", "true")

    assert result.code == 2
    assert "in export, -f is --format" in result.stderr, result.describe()


def test_export_format_kubernetes_says_did_you_mean_k8s(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep("export", "--env", "dev", "--format", "kubernetes")

    assert result.code == 2
    assert "did you mean 'k8s'?" in result.stderr, result.describe()
    assert "dotenv (or env)" in result.stderr
    assert result.stdout == ""


def test_export_format_k8s_secret_writes_the_k8s_secret(envkeep: Envkeep, seeded: Path) -> None:
    as_design_gives = envkeep("export", "--env", "dev", "--format", "k8s-secret")
    as_named = envkeep("export", "--env", "dev", "--format", "k8s")

    assert as_design_gives.code == 0, as_design_gives.describe()
    assert "kind: Secret" in as_design_gives.stdout
    assert as_design_gives.stdout == as_named.stdout
