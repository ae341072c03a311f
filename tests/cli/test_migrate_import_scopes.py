"""`import services/*/.env`: a repository moving to envkeep imports each service's files into
that service's scope in one command (`client.import_scopes`); --service still takes every file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _stored(envkeep: Envkeep, scope: str) -> dict[str, tuple[str, int]]:
    """What ``scope`` (``shared`` or a service) holds itself in dev: value and version."""
    service = "-" if scope == "shared" else scope
    listed = envkeep.ok("list", "--env", "dev", "--service", service, "--reveal", "--json")
    return {
        v["name"]: (v["value"], v["version"])
        for v in json.loads(listed.stdout)
        if v["scope"] == scope
    }


def _write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")


def test_each_file_goes_to_the_service_whose_directory_holds_it(
    envkeep: Envkeep, project: Path
) -> None:
    _write(
        project,
        {
            ".env": "LOG_LEVEL=info\n",
            "services/api/.env": "PORT=8080\nDEBUG=false\n",
            "services/api/.env.local": "DEBUG=true\n",
            "services/worker/.env": "PORT=9000\nQUEUES=mail\n",
        },
    )

    done = envkeep.ok(
        "import",
        ".env",
        "services/api/.env",
        "services/worker/.env",
        "services/api/.env.local",
        "--env",
        "dev",
    )

    assert _stored(envkeep, "shared") == {"LOG_LEVEL": ("info", 1)}
    assert _stored(envkeep, "api") == {"PORT": ("8080", 1), "DEBUG": ("true", 1)}
    assert _stored(envkeep, "worker") == {"PORT": ("9000", 1), "QUEUES": ("mail", 1)}
    assert "imported into dev (service api): 2 new" in done.stderr
    assert "imported into dev (service worker): 2 new" in done.stderr


def test_service_option_layers_every_file_into_that_one_scope(
    envkeep: Envkeep, project: Path
) -> None:
    _write(project, {"services/api/.env": "PORT=8080\n", "services/worker/.env": "PORT=9000\n"})

    envkeep.ok("import", "services/api/.env", "services/worker/.env", "--env", "dev", "-s", "-")

    assert _stored(envkeep, "shared") == {"PORT": ("9000", 1)}
    assert _stored(envkeep, "api") == {}


def test_a_bad_file_of_any_service_writes_nothing_anywhere(envkeep: Envkeep, project: Path) -> None:
    _write(
        project,
        {"services/api/.env": "PORT=8080\n", "services/worker/.env": "PORT=9000\nBROKEN='x\n"},
    )

    refused = envkeep("import", "services/api/.env", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert "services/worker/.env:2" in refused.stderr
    assert _stored(envkeep, "api") == {}


def test_a_later_scope_refused_writes_no_scope_and_a_rerun_imports_every_one(
    envkeep: Envkeep, project: Path
) -> None:
    _write(project, {"services/api/.env": "PORT=8080\n", "services/worker/.env": "PORT=9000\n"})
    envkeep.ok("set", "PORT=1", "--env", "dev", "--service", "worker")

    refused = envkeep("import", "services/api/.env", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert "1 already set to other values in 'dev': PORT (service worker)" in refused.stderr
    assert _stored(envkeep, "api") == {}  # one batch: api's part was not written either
    again = envkeep.ok(
        "import", "services/api/.env", "services/worker/.env", "--env", "dev",
        "--on-conflict", "overwrite",
    )  # fmt: skip
    assert "imported into dev (service api): 1 new, 0 overwritten, 0 unchanged" in again.stderr
    assert "imported into dev (service worker): 0 new, 1 overwritten, 0 unchanged" in again.stderr
    assert _stored(envkeep, "api") == {"PORT": ("8080", 1)}
    assert _stored(envkeep, "worker") == {"PORT": ("9000", 2)}


def test_a_warning_names_its_file_when_several_are_imported(
    envkeep: Envkeep, project: Path
) -> None:
    _write(
        project,
        {"services/api/.env": "PORT=8080\n", "services/worker/.env": "PORT=1\nPORT=9000\n"},
    )

    done = envkeep.ok("import", "services/api/.env", "services/worker/.env", "--env", "dev")

    assert (
        "warning: services/worker/.env: line 2: duplicate key 'PORT' (first set on line 1);"
        " the last value wins"
    ) in done.err_lines
