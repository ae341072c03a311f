"""A write to the shared scope names the services that do not see it, as their own scope sets
the name (`client/shadowed_shared.py`): set, unset and rollback, on both backends. A personal
override in .envkeep/local.env is not the store's and is never named.

The seeded project holds PORT=3000 shared and PORT=8080 in api's scope; worker sets nothing.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .config_fixtures import editor_env

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

DEV = ("--env", "dev")
PORT_NOTE = (
    "note: PORT is overridden in api (their own values win);"
    " see: envkeep explain PORT --env dev --service api"
)


def _notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("note:")]


def test_shared_set_of_a_name_a_service_overrides_names_that_service_after_the_done_line(
    envkeep: Envkeep, seeded: Path
) -> None:
    done = envkeep.ok("set", "PORT=4000", "LOG_LEVEL=error", *DEV)

    assert done.err_lines[:2] == ["set 2 variables in dev (shared)", PORT_NOTE], done.stderr
    api = envkeep.ok("get", "PORT", *DEV, "--service", "api")
    assert api.stdout == "8080\n"  # what the note says: api's own value wins


def test_shared_set_no_service_overrides_says_nothing_more(envkeep: Envkeep, seeded: Path) -> None:
    done = envkeep.ok("set", "LOG_LEVEL=error", "NEW_NAME=1", *DEV)

    assert done.err_lines == ["set 2 variables in dev (shared)"], done.stderr


def test_service_scope_set_of_an_overridden_name_gets_no_note(
    envkeep: Envkeep, seeded: Path
) -> None:
    done = envkeep.ok("set", "PORT=9090", *DEV, "--service", "api")

    assert _notes(done.stderr) == [], done.stderr


def test_shared_unset_names_the_services_keeping_their_own_value(
    envkeep: Envkeep, seeded: Path
) -> None:
    done = envkeep.ok("unset", "PORT", "LOG_LEVEL", *DEV, "--yes")

    assert done.err_lines[0] == "unset 2 variables in dev (shared)", done.stderr
    kept = (
        "note: PORT is overridden in api (they keep their own values);"
        " see: envkeep explain PORT --env dev --service api"
    )
    assert _notes(done.stderr) == [kept], done.stderr


def test_shared_unset_of_a_name_no_service_sets_gets_no_note(
    envkeep: Envkeep, seeded: Path
) -> None:
    done = envkeep.ok("unset", "LOG_LEVEL", *DEV, "--yes")

    assert _notes(done.stderr) == [], done.stderr


def test_shared_rollback_of_a_name_a_service_overrides_names_that_service(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "PORT=4000", *DEV)

    done = envkeep.ok("rollback", "PORT", "--to", "1", *DEV, "--yes")

    assert done.err_lines[0].startswith("PORT is now version 3"), done.stderr
    assert done.err_lines[1:] == [PORT_NOTE], done.stderr


def test_shared_rollback_of_a_name_no_service_sets_gets_no_note(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "LOG_LEVEL=error", *DEV)

    done = envkeep.ok("rollback", "LOG_LEVEL", "--to", "1", *DEV, "--yes")

    assert _notes(done.stderr) == [], done.stderr


def test_shared_rollback_to_a_time_names_the_services_overriding_what_it_sets_back(
    envkeep: Envkeep, seeded: Path
) -> None:
    history = json.loads(envkeep.ok("history", "PORT", *DEV, "--json").stdout)
    before = history[-1]["created_at"]
    after = datetime.fromisoformat(before) + timedelta(seconds=1)
    while datetime.now(UTC) < after:  # versions are timed to the second
        time.sleep(0.05)
    envkeep.ok("set", "PORT=4000", "LOG_LEVEL=error", *DEV)

    done = envkeep.ok("rollback", *DEV, "--to-time", before, "--yes")

    assert done.err_lines[-2].startswith("rolled back 2 variables in dev (shared)"), done.stderr
    assert done.err_lines[-1] == PORT_NOTE, done.stderr


def test_a_personal_override_is_not_named_as_a_service_override(
    envkeep: Envkeep, seeded: Path
) -> None:
    (seeded / ".envkeep" / "local.env").write_text("LOG_LEVEL=debug\nPORT=1\n", encoding="utf-8")

    done = envkeep.ok("set", "LOG_LEVEL=error", "PORT=4000", *DEV)

    assert _notes(done.stderr) == [PORT_NOTE], done.stderr  # api's, never local.env's


def test_shared_import_names_the_services_overriding_what_it_writes(
    envkeep: Envkeep, seeded: Path
) -> None:
    (seeded / "more.env").write_text("PORT=4000\nLOG_LEVEL=error\n", encoding="utf-8")

    done = envkeep.ok("import", "more.env", *DEV, "--on-conflict", "overwrite", "--yes")

    assert done.err_lines[0].startswith("imported into dev (shared):"), done.stderr
    assert done.err_lines[1:] == [PORT_NOTE], done.stderr


def test_an_import_of_several_scopes_counts_the_overrides_it_writes_itself(
    envkeep: Envkeep, seeded: Path
) -> None:
    (seeded / ".env").write_text("QUEUE=mail\n", encoding="utf-8")
    (seeded / "services" / "worker" / ".env").write_text("QUEUE=jobs\n", encoding="utf-8")

    done = envkeep.ok("import", ".env", "services/worker/.env", *DEV, "--yes")

    worker = (
        "note: QUEUE is overridden in worker (their own values win);"
        " see: envkeep explain QUEUE --env dev --service worker"
    )
    assert _notes(done.stderr) == [worker], done.stderr


EDITOR = (
    "import re, sys\n"
    "path = sys.argv[1]\n"
    "text = open(path, encoding='utf-8').read()\n"
    "text = re.sub(r'(?m)^PORT=.*$', 'PORT=4000', text)\n"
    "open(path, 'w', encoding='utf-8').write(text)\n"
)


def test_shared_edit_names_the_services_overriding_what_it_changes(
    envkeep: Envkeep, seeded: Path, tmp_path: Path
) -> None:
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")

    done = envkeep.ok("edit", *DEV, "--yes", env=editor_env(editor))

    assert done.err_lines[-1] == PORT_NOTE, done.stderr
    assert envkeep.ok("get", "PORT", *DEV).stdout == "4000\n"


def test_promote_of_a_shared_value_names_the_services_overriding_it_in_the_target(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "PORT=7000", "--env", "staging", "--service", "api")
    envkeep.ok("set", "REGION=eu", "--env", "dev")

    shared = ("--service", "-")  # api's own PORT in staging stays
    done = envkeep.ok(
        "promote", "--from", "dev", "--to", "staging", "PORT", "REGION", *shared, "--yes"
    )

    assert done.err_lines[-2].startswith("promoted 2 values from 'dev' to 'staging'"), done.stderr
    assert done.err_lines[-1] == (
        "note: PORT is overridden in api (their own values win);"
        " see: envkeep explain PORT --env staging --service api"
    ), done.stderr
