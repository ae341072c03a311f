"""ENVKEEP_ENV: the environment of every command that names none, per shell or CI job (as
Doppler's setup or DOPPLER_CONFIG chooses a config), over envkeep.toml's ``default_env``;
``--env`` wins over it. Runs on both backends, on the ``project`` (dev is the default)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PY = sys.executable
PRINT_PORT = "import os; print(os.environ.get('PORT', '-'))"


def test_envkeep_env_chooses_the_environment_and_env_wins(envkeep: Envkeep, project: Path) -> None:
    envkeep.ok("set", "PORT=3000", "--env", "dev")
    envkeep.ok("set", "PORT=4000", "--env", "staging")
    staging = {"ENVKEEP_ENV": "staging"}

    assert envkeep.ok("get", "PORT", env=staging).stdout == "4000\n"
    assert envkeep.ok("get", "PORT", "--env", "dev", env=staging).stdout == "3000\n"
    assert envkeep.ok("get", "PORT").stdout == "3000\n"  # unset: the project's default


def test_run_takes_envkeep_env_after_a_run_of_the_default(envkeep: Envkeep, project: Path) -> None:
    """`run` keeps what it resolved for the next run: a run with ENVKEEP_ENV must not be
    handed the default environment's values kept by a run without it."""
    envkeep.ok("set", "PORT=3000", "--env", "dev")
    envkeep.ok("set", "PORT=4000", "--env", "staging")
    for _ in range(2):  # the second run may be served from what the first kept
        assert envkeep.ok("run", "--", PY, "-c", PRINT_PORT).stdout == "3000\n"
    for _ in range(2):
        done = envkeep.ok("run", "--", PY, "-c", PRINT_PORT, env={"ENVKEEP_ENV": "staging"})
        assert done.stdout == "4000\n"


def test_run_without_envkeep_env_after_a_run_with_it_takes_the_default(
    envkeep: Envkeep, project: Path
) -> None:
    """The other order: a run without ENVKEEP_ENV (or with it empty) must not be handed the
    values a run with it kept."""
    envkeep.ok("set", "PORT=3000", "--env", "dev")
    envkeep.ok("set", "PORT=4000", "--env", "staging")
    for _ in range(2):
        done = envkeep.ok("run", "--", PY, "-c", PRINT_PORT, env={"ENVKEEP_ENV": "staging"})
        assert done.stdout == "4000\n"
    for unset in ({}, {"ENVKEEP_ENV": ""}):
        for _ in range(2):
            assert envkeep.ok("run", "--", PY, "-c", PRINT_PORT, env=unset).stdout == "3000\n"


def test_a_write_to_envkeep_envs_environment_says_where_it_went(
    envkeep: Envkeep, project: Path
) -> None:
    done = envkeep.ok("set", "PORT=4000", env={"ENVKEEP_ENV": "staging"})

    assert "note: environment 'staging', from ENVKEEP_ENV" in done.stderr
    assert envkeep.ok("get", "PORT", "--env", "staging").stdout == "4000\n"
    assert envkeep("get", "PORT", "--env", "dev").code != 0  # nothing went to the default


def test_an_environment_envkeep_env_names_that_does_not_exist_says_where_it_came_from(
    envkeep: Envkeep, project: Path
) -> None:
    done = envkeep("list", env={"ENVKEEP_ENV": "stagign"})

    assert done.code == 1, done.describe()
    assert "'stagign' is ENVKEEP_ENV's, taken as no --env was given" in done.stderr
    assert "ENVKEEP_ENV=staging" in done.stderr  # the did-you-mean, as the variable to set


def test_activate_all_and_export_say_they_took_envkeep_envs_environment(
    envkeep: Envkeep, project: Path
) -> None:
    """Every service's .env written from prod because a shell kept ENVKEEP_ENV=prod: said on
    stderr before anything else, as a write says where it went."""
    envkeep.ok("set", "PORT=4000", "--env", "staging")
    staging = {"ENVKEEP_ENV": "staging"}

    for args in (("activate-all",), ("export", "--format", "json")):
        done = envkeep.ok(*args, env=staging)
        assert "note: environment 'staging', from ENVKEEP_ENV" in done.stderr, done.describe()
