"""A write is checked for the values that refer to what it writes: in each service that will see
the change, a declared variable whose value refers (``${NAME}``, ``${svc.NAME}``, directly or
through other values) to a written name is checked as it will resolve afterwards.

They run on the configuration project (config_fixtures: api's schema has DATABASE_URL a url and
WORKERS an int from 1 to 64, and api's DATABASE_URL refers to the shared DB_* values; worker's
schema has API_URL a url). The command under test runs as a real process; the state before and
after is read in this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick, quick_ok
from .schema_refusals import EMBEDDED_ONLY, assert_refused, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

DEV_API = ("--env", "dev", "--service", "api")
DEV_WORKER = ("--env", "dev", "--service", "worker")


@EMBEDDED_ONLY
def test_a_value_referring_to_the_written_name_directly_or_through_another_is_checked(
    envkeep: Envkeep, config_tree: Path
) -> None:
    # api's DATABASE_URL -> shared DSN -> shared DSN_BASE (names no schema declares).
    quick_ok(envkeep, "set", "DSN=${DSN_BASE}", "DSN_BASE=postgres://h/db", "--env", "dev")
    quick_ok(envkeep, "set", "DATABASE_URL=${DSN}", *DEV_API)
    before = stored(envkeep, "dev")

    direct, transitive = envkeep.many(
        ("set", "DSN=not-a-url-x5", "--env", "dev"),
        ("set", "DSN_BASE=not-a-url-x6", "--env", "dev"),
    )

    assert_refused(direct, "api", "DATABASE_URL", "type", "not-a-url-x5")
    assert_refused(transitive, "api", "DATABASE_URL", "type", "not-a-url-x6")
    assert stored(envkeep, "dev") == before  # nothing written
    assert quick_ok(envkeep, "get", "DATABASE_URL", *DEV_API).stdout == "postgres://h/db\n"


def test_a_reference_from_another_service_is_checked_and_no_validate_writes_anyway(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "API_HOST=api.internal", *DEV_API)  # in no schema: any text
    quick_ok(envkeep, "set", "API_URL=http://${api.API_HOST}:8080", *DEV_WORKER)

    refused = envkeep("set", "API_HOST=bad host x7", *DEV_API)
    after_refusal = stored(envkeep, "dev", "api")["API_HOST"]
    written = envkeep("set", "API_HOST=bad host x7", *DEV_API, "--no-validate")

    assert_refused(refused, "worker", "API_URL", "type", "bad host x7")
    assert after_refusal == ("api.internal", 1)
    assert written.code == 0, written.describe()
    assert stored(envkeep, "dev", "api")["API_HOST"] == ("bad host x7", 2)
    validated = quick(envkeep, "validate", *DEV_WORKER)
    assert validated.code == 3, validated.describe()  # validate still finds it


@EMBEDDED_ONLY
def test_an_invalid_value_the_write_does_not_change_blocks_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "WORKERS=65", *DEV_API, "--no-validate")  # out of range already

    # DB_HOST is part of api's DATABASE_URL, which stays a url: only WORKERS is wrong.
    result = envkeep("set", "DB_HOST=db2.dev.internal", "--env", "dev")

    assert result.code == 0, result.describe()
    assert stored(envkeep, "dev")["DB_HOST"] == ("db2.dev.internal", 2)


@EMBEDDED_ONLY
def test_a_value_left_with_a_broken_reference_is_not_refused(
    envkeep: Envkeep, config_tree: Path
) -> None:
    result = envkeep("set", "DB_HOST=${NOT_SET_YET}", "--env", "dev")  # api's DATABASE_URL too

    assert result.code == 0, result.describe()  # unresolved: validate's to report, not set's
    assert stored(envkeep, "dev")["DB_HOST"] == ("${NOT_SET_YET}", 2)


@EMBEDDED_ONLY
def test_a_value_a_service_sets_itself_shields_its_references_from_a_shared_write(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "DB_HOST=db.api.internal", *DEV_API)  # api's own, over shared

    result = envkeep("set", "DB_HOST=bad host x8", "--env", "dev")

    assert result.code == 0, result.describe()  # api's DATABASE_URL does not change
    assert stored(envkeep, "dev")["DB_HOST"] == ("bad host x8", 2)
