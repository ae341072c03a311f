"""`promote` checks what it copies as `set` does: against the schema of each service of the
target environment that will see it, the values referring to it included, before it asks;
refused, it writes nothing; `--no-validate` writes anyway.

They run on the configuration project (config_fixtures: api's schema has PORT a port and
DATABASE_URL a url, built from the shared DB_* values). staging is given a PORT and a DB_HOST
(part of api's DATABASE_URL) that api's schema refuses, written with --no-validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick_ok
from .schema_refusals import EMBEDDED_ONLY, assert_refused, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PROMOTE = ("promote", "--from", "staging", "--to", "prod")
BAD_HOST = "bad host x9"  # api's DATABASE_URL (postgres://…@${DB_HOST}/shop) is then no url
BAD_PORT = "not-a-port-x10"


def break_staging(envkeep: Envkeep) -> None:
    quick_ok(envkeep, "set", f"DB_HOST={BAD_HOST}", "--env", "staging", "--no-validate")
    quick_ok(envkeep, "set", f"PORT={BAD_PORT}", "-e", "staging", "-s", "api", "--no-validate")


def prod(envkeep: Envkeep) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    return stored(envkeep, "prod"), stored(envkeep, "prod", "api")


def test_promote_refuses_what_a_schema_refuses_and_writes_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    break_staging(envkeep)
    before = prod(envkeep)

    result = envkeep(*PROMOTE, "--yes")  # PORT, DB_HOST, DB_PASSWORD and FEATURE_X

    assert_refused(result, "api", "PORT", "type", BAD_PORT)
    assert "api.DATABASE_URL (type:" in result.err_lines[0], result.describe()
    assert BAD_HOST not in result.stderr, result.describe()
    assert prod(envkeep) == before  # FEATURE_X neither: all or nothing


@EMBEDDED_ONLY
def test_promote_refuses_before_asking(envkeep: Envkeep, config_tree: Path) -> None:
    break_staging(envkeep)

    result = envkeep(*PROMOTE, "DB_HOST")  # no --yes: it would ask

    assert_refused(result, "api", "DATABASE_URL", "type", BAD_HOST)
    assert "DB_HOST" in result.stdout, result.describe()  # the plan was shown first
    assert "not confirmed" not in result.stderr, result.describe()


@EMBEDDED_ONLY
def test_promote_no_validate_writes_what_a_schema_refuses(
    envkeep: Envkeep, config_tree: Path
) -> None:
    break_staging(envkeep)

    result = envkeep(*PROMOTE, "DB_HOST", "PORT", "--yes", "--no-validate")

    assert result.code == 0, result.describe()
    shared, api = prod(envkeep)
    assert shared["DB_HOST"] == (BAD_HOST, 2)
    assert api["PORT"] == (BAD_PORT, 2)


def test_promote_with_a_service_copies_that_scope_alone(
    envkeep: Envkeep, config_tree: Path
) -> None:
    shared_before, api_before = prod(envkeep)

    api_only = quick_ok(envkeep, *PROMOTE, "--service", "api", "--yes")
    shared_after_api, api_after = prod(envkeep)
    shared_only = quick_ok(envkeep, *PROMOTE, "--service", "-", "--yes")
    shared_after, api_last = prod(envkeep)
    unknown = envkeep(*PROMOTE, "--service", "apj", "--yes")

    assert "promoted 1 value" in api_only.stderr, api_only.describe()
    assert api_after["PORT"][0] == "8080"  # staging's
    assert shared_after_api == shared_before  # the shared scope untouched
    assert "promoted 3 values" in shared_only.stderr, shared_only.describe()
    assert shared_after["DB_HOST"][0] == "db.staging.internal"
    assert shared_after["FEATURE_X"][0] == "on"
    assert api_last == api_after  # api untouched by the shared promotion
    assert api_before["PORT"][0] == "8443"
    assert unknown.code != 0, unknown.describe()
    assert "service 'apj' not found" in unknown.err_lines[0], unknown.describe()
    assert "did you mean 'api'?" in unknown.stderr, unknown.describe()
