"""`envkeep init`, `service add|list|remove`, `env create|list|delete`."""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING

from envkeep.client.service_discovery import service_slug

from .accounts import identity_home, settings_for
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def env_names(envkeep: Envkeep) -> list[str]:
    return [e["name"] for e in json.loads(quick_ok(envkeep, "env", "list", "--json").stdout)]


def test_init_writes_project_file_with_dev_staging_prod_and_creates_the_identity(
    envkeep: Envkeep, homes: Homes
) -> None:
    if homes.server is None:  # an account's identity exists from `envkeep join` on
        assert not (envkeep.home / "identity.json").exists()

    envkeep.ok("init", "shop")

    written = tomllib.loads((envkeep.cwd / "envkeep.toml").read_text(encoding="utf-8"))
    assert written["project"] == "shop"
    assert written["default_env"] == "dev"
    assert env_names(envkeep) == ["dev", "staging", "prod"]
    assert (identity_home(envkeep.home) / "identity.json").is_file()
    embedded = settings_for(envkeep.home).database_path
    if homes.server is None:
        assert embedded.is_file()
        assert "server" not in written
    else:  # the project lives on the server the home is logged in to, and nowhere else
        assert written["server"] == homes.server.url
        assert not embedded.exists()


def test_init_yes_without_a_name_names_the_project_after_its_directory(
    envkeep: Envkeep,
) -> None:
    envkeep.ok("init", "--yes")

    written = tomllib.loads((envkeep.cwd / "envkeep.toml").read_text(encoding="utf-8"))
    assert written["project"] == service_slug(envkeep.cwd.name)
    assert env_names(envkeep) == ["dev", "staging", "prod"]


def test_init_again_where_the_project_is_set_up_says_so(envkeep: Envkeep, project: Path) -> None:
    before = (project / "envkeep.toml").read_bytes()

    again = envkeep("init")

    assert again.code == 0  # onboarding scripts run it every time
    assert again.err_lines[0] == (
        f"project 'shop' of {project / 'envkeep.toml'} is set up already; nothing to do"
    )
    assert (project / "envkeep.toml").read_bytes() == before


def test_init_twice_in_one_directory_fails_and_leaves_the_file_unchanged(
    envkeep: Envkeep, project: Path
) -> None:
    before = (project / "envkeep.toml").read_bytes()

    result = envkeep("init", "other")

    assert result.code == 1
    assert result.err_lines[0].startswith("error: ")
    assert "envkeep.toml" in result.err_lines[0]
    assert (project / "envkeep.toml").read_bytes() == before
    assert "Traceback" not in result.stderr


def test_init_inside_a_projects_service_directory_is_refused_not_nested(
    envkeep: Envkeep, project: Path
) -> None:
    inner = project / "services" / "api"

    result = envkeep("init", "oops", "--yes", cwd=inner)

    assert result.code == 2
    assert result.err_lines[0] == (
        f"error: {inner} is inside project 'shop' ({project / 'envkeep.toml'}); a project made"
        " here would hide it from every command run here"
    )
    assert not (inner / "envkeep.toml").exists()
    assert "oops" not in quick_ok(envkeep, "env", "list").stdout


def test_service_add_records_the_service_in_the_project_file_and_the_store(
    envkeep: Envkeep, project: Path
) -> None:
    written = tomllib.loads((project / "envkeep.toml").read_text(encoding="utf-8"))
    assert written["services"]["api"] == {"path": "services/api"}
    assert written["services"]["worker"] == {"path": "services/worker"}

    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    assert [(s["name"], s["path"]) for s in listed] == [
        ("api", "services/api"),
        ("worker", "services/worker"),
    ]


def test_service_add_with_a_path_that_is_not_a_directory_is_a_usage_error(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("service", "add", "billing", "--path", "services/billing")

    assert result.code == 2
    assert "services/billing" in result.err_lines[0]
    assert "billing" not in (project / "envkeep.toml").read_text(encoding="utf-8")


def test_service_remove_asks_first_and_without_yes_and_no_terminal_removes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "QUEUE=jobs", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "set", "QUEUE=jobs", "RETRIES=3", "--env", "prod", "--service", "worker")

    refused = envkeep("service", "remove", "worker")

    assert refused.code == 2
    assert refused.err_lines == [  # what it would delete, then the command that does
        (
            "error: removing service 'worker' deletes its 1 variable in dev and 2 variables in"
            " prod, with their history; pass --yes to go ahead"
        ),
        "hint: nothing changed; to remove it anyway: envkeep service remove worker --yes",
    ]
    assert "worker" in (project / "envkeep.toml").read_text(encoding="utf-8")
    assert (
        quick_ok(envkeep, "get", "QUEUE", "--env", "dev", "--service", "worker").stdout == "jobs\n"
    )

    envkeep.ok("service", "remove", "worker", "--yes")

    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    assert [s["name"] for s in listed] == ["api"]
    assert "worker" not in (project / "envkeep.toml").read_text(encoding="utf-8")


def test_service_remove_of_a_service_nobody_has_says_so_before_asking_anything(
    envkeep: Envkeep, project: Path
) -> None:
    typo = envkeep("service", "remove", "wroker")  # no --yes: refused, but not for that

    assert typo.code == 1, typo.describe()
    assert typo.err_lines == [
        (
            "error: service 'wroker' not found in project 'shop' (services: api, worker);"
            " nothing was removed"
        ),
        "hint: did you mean 'worker'?",
    ]


def listed_in_project_file(project: Path) -> list[str]:
    written = tomllib.loads((project / "envkeep.toml").read_text(encoding="utf-8"))
    return list(written["environments"])


def test_env_create_list_delete(envkeep: Envkeep, project: Path) -> None:
    envkeep.ok("env", "create", "qa")
    table = envkeep.ok("env", "list").stdout.splitlines()
    assert [row.split()[0] for row in table[1:]] == ["dev", "staging", "prod", "qa"]
    assert listed_in_project_file(project) == ["dev", "staging", "prod", "qa"]  # for a clone

    cloned = envkeep.ok("env", "clone", "qa", "uat")
    assert listed_in_project_file(project) == ["dev", "staging", "prod", "qa", "uat"]
    assert "is protected" not in cloned.stderr

    envkeep.ok("env", "edit", "prod", "--protect")
    copied = envkeep.ok("env", "clone", "prod", "prod-copy")
    assert copied.err_lines[-1] == (
        "note: 'prod' is protected and 'prod-copy' is not (local overrides apply there, and"
        " writes need no --yes): envkeep env edit prod-copy --protect"
    )
    envkeep.ok("env", "delete", "prod-copy", "--yes")

    envkeep.ok("env", "delete", "qa", "--yes")

    assert env_names(envkeep) == ["dev", "staging", "prod", "uat"]
    assert listed_in_project_file(project) == ["dev", "staging", "prod", "uat"]


def test_env_delete_without_yes_and_no_terminal_deletes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("env", "delete", "staging")

    assert result.code != 0
    assert "--yes" in result.stderr
    assert "staging" in env_names(envkeep)


def test_env_delete_refuses_the_default_environment(envkeep: Envkeep, project: Path) -> None:
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("env", "delete", "dev", "--yes")

    assert refused.code == 2
    assert "default environment" in refused.err_lines[0]
    assert refused.err_lines[1] == (
        'hint: set default_env there to another environment first (e.g. default_env = "staging")'
    )
    assert env_names(envkeep) == ["dev", "staging", "prod"]
    assert (project / "envkeep.toml").read_bytes() == before


def test_a_protected_environment_is_not_deleted_even_with_yes_until_unprotected(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "A=1", "--env", "prod")
    quick_ok(envkeep, "env", "edit", "prod", "--protect")

    refused = envkeep("env", "delete", "prod", "--yes")

    assert refused.code == 1
    assert refused.err_lines == [
        "error: environment 'prod' is protected; nothing was deleted",
        "hint: unprotect it first if you mean it: envkeep env edit prod --unprotect",
    ]
    assert quick_ok(envkeep, "get", "A", "--env", "prod").stdout == "1\n"
    assert listed_in_project_file(project) == ["dev", "staging", "prod"]

    envkeep.ok("env", "edit", "prod", "--unprotect", "--yes")
    envkeep.ok("env", "delete", "prod", "--yes")
    assert env_names(envkeep) == ["dev", "staging"]


def test_deleting_an_unknown_environment_says_so_before_asking(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("env", "delete", "prd")  # no --yes, no terminal: it would ask first

    assert refused.code == 1
    assert refused.err_lines == [
        "error: environment 'prd' not found in project 'shop' (envs: dev, prod, staging)",
        "hint: did you mean 'prod'?",
    ]


def test_env_create_twice_is_refused(envkeep: Envkeep, project: Path) -> None:
    result = envkeep("env", "create", "dev")

    assert result.code == 1
    assert result.err_lines[0] == "error: environment 'dev' already exists in 'shop'"
