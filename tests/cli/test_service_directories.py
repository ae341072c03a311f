"""One directory, one service: `activate-all` writes each service's .env into its directory,
so two services there would write over each other's file on every run. In a service's
directory, commands work on that service, and their hints say so."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import collect

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _service_names(envkeep: Envkeep) -> list[str]:
    return [s["name"] for s in json.loads(envkeep.ok("service", "list", "--json").stdout)]


def test_service_add_refuses_a_directory_another_service_has(
    envkeep: Envkeep, project: Path
) -> None:
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("service", "add", "api2", "--path", "./services/api/")

    assert refused.code == 2, refused.describe()
    assert "service 'api' has the directory services/api already" in refused.stderr
    assert (project / "envkeep.toml").read_bytes() == before
    assert _service_names(envkeep) == ["api", "worker"]


def test_service_set_refuses_a_directory_another_service_has(
    envkeep: Envkeep, project: Path
) -> None:
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("service", "set", "worker", "--path", "services/api")

    assert refused.code == 2, refused.describe()
    assert "service 'api' has the directory services/api already" in refused.stderr
    assert (project / "envkeep.toml").read_bytes() == before
    envkeep.ok("service", "set", "api", "--path", "services/api")  # its own: no change, no error


def test_activate_all_refuses_two_services_in_one_directory_and_writes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "ONLY_API=a", "--service", "api")
    envkeep.ok("set", "ONLY_WORKER=w", "--service", "worker")
    toml = project / "envkeep.toml"  # edited by hand, as a merge might leave it
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'path = "services/worker"', 'path = "services/api"'
        ),
        encoding="utf-8",
    )

    refused = envkeep("activate-all")

    assert refused.code == 2, refused.describe()
    assert "services 'api' and 'worker' have one directory (services/api)" in refused.stderr
    assert not (project / "services" / "api" / ".env").exists()
    assert not (project / "services" / "worker" / ".env").exists()


def test_in_a_service_directory_a_shared_name_is_pointed_to_with_service_dash(
    envkeep: Envkeep, seeded: Path
) -> None:
    api = seeded / "services" / "api"
    started = {
        "history": envkeep.popen("history", "LOG_LEVEL", "--env", "dev", cwd=api),
        "rollback": envkeep.popen("rollback", "LOG_LEVEL", "--to", "1", "--env", "dev", cwd=api),
        "as told": envkeep.popen("history", "LOG_LEVEL", "--env", "dev", "--service", "-", cwd=api),
        "from the root": envkeep.popen("history", "LOG_LEVEL", "--env", "dev", "--service", "api"),
    }
    results = collect(started)

    for refused in (results["history"], results["rollback"]):
        assert refused.code == 1, refused.describe()
        assert refused.err_lines[1] == "hint: it is set in the shared scope: use --service -"
    assert results["as told"].code == 0, results["as told"].describe()
    assert results["from the root"].err_lines[1] == (
        "hint: it is set in the shared scope: leave out --service"
    )


def test_in_a_service_directory_hints_for_the_shared_scope_say_service_dash(
    envkeep: Envkeep, seeded: Path
) -> None:
    api = seeded / "services" / "api"
    envkeep.ok("unset", "LOG_LEVEL", "--env", "dev")  # version 2, a deletion
    envkeep.ok("set", "LOG_LEVEL=debug", "--env", "dev")
    shared = ("--env", "dev", "--service", "-")
    started = {
        "get": envkeep.popen("get", "NEW_NAME", *shared, cwd=api),
        "unset": envkeep.popen("unset", "NEW_NAME", *shared, cwd=api),
        "rollback": envkeep.popen("rollback", "LOG_LEVEL", "--to", "2", *shared, cwd=api),
        "from the root": envkeep.popen("get", "NEW_NAME", "--env", "dev"),
    }
    results = collect(started)

    assert results["get"].err_lines[1] == (
        "hint: set it with: envkeep set NEW_NAME=VALUE --env dev --service -"
    ), results["get"].describe()
    assert results["unset"].err_lines[1] == (
        "hint: nothing to unset; the names stored there: envkeep list --env dev --service -"
    ), results["unset"].describe()
    assert results["rollback"].err_lines[1] == (
        "hint: to delete it again: envkeep unset LOG_LEVEL --env dev --service -"
    ), results["rollback"].describe()
    assert results["from the root"].err_lines[1] == (
        "hint: set it with: envkeep set NEW_NAME=VALUE --env dev"
    )
    # The hint followed in the service's directory writes to the shared scope, as it said.
    assert envkeep("set", "NEW_NAME=1", *shared, cwd=api).code == 0
    assert envkeep.ok("get", "NEW_NAME", "--env", "dev").stdout == "1\n"
