"""`promote` warns, as `set` does, of a promoted value whose `${...}` will not resolve in the
target, before it asks; and when the source sets what it refers to, gives the command that
promotes that too. The values are written all the same (what they refer to may come next)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

PROMOTE = ("promote", "--from", "dev", "--to", "prod")
WARNING = (
    "warning: in 'prod', api.DATABASE_URL does not resolve: DATABASE_URL -> DB_USER: 'DB_USER'"
    " is not set; export and run will fail until it does"
)
HINT = (
    "hint: 'dev' sets DB_USER: to promote it too, run envkeep promote --from dev --to prod"
    " DATABASE_URL DB_USER"
)


def _dev(envkeep: Envkeep) -> None:
    quick_ok(envkeep, "set", "DB_USER=app", "--env", "dev")
    url = "DATABASE_URL=postgres://${DB_USER}@db/shop"
    quick_ok(envkeep, "set", url, "--env", "dev", "--service", "api")


def test_promote_warns_of_a_value_that_will_not_resolve_and_names_what_to_promote_too(
    envkeep: Envkeep, project: Path
) -> None:
    _dev(envkeep)

    result = envkeep.ok(*PROMOTE, "DATABASE_URL", "--yes")

    lines = result.err_lines
    assert lines[:3] == [WARNING, HINT, "promoted 1 value from 'dev' to 'prod'"], result.describe()
    assert quick(envkeep, "get", "DATABASE_URL", "--env", "prod", "-s", "api").code == 3


def test_the_warning_comes_before_the_question(envkeep: Envkeep, project: Path) -> None:
    _dev(envkeep)

    asked = envkeep(*PROMOTE, "DATABASE_URL")  # no --yes, no terminal: not confirmed

    assert asked.code == 2, asked.describe()
    assert asked.err_lines[:2] == [WARNING, HINT], asked.describe()
    assert "promoted" not in asked.stderr


def test_promoting_what_it_refers_to_as_well_warns_of_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    _dev(envkeep)

    both = envkeep.ok(*PROMOTE, "DATABASE_URL", "DB_USER", "--yes")

    assert "warning" not in both.stderr, both.describe()
    got = envkeep.ok("get", "DATABASE_URL", "--env", "prod", "--service", "api")
    assert got.stdout == "postgres://app@db/shop\n"


def test_the_hint_names_a_whole_chain_of_references_at_once(
    envkeep: Envkeep, project: Path
) -> None:
    # api.PUBLIC -> worker.API_URL -> APIPORT: one run of the hint's command promotes it all.
    quick_ok(envkeep, "set", "APIPORT=8080", "--env", "dev")
    quick_ok(envkeep, "set", "API_URL=http://api:${APIPORT}", "--env", "dev", "-s", "worker")
    quick_ok(envkeep, "set", "PUBLIC=${worker.API_URL}/v1", "--env", "dev", "--service", "api")

    result = envkeep.ok(*PROMOTE, "--service", "api", "PUBLIC", "--yes")

    hint = (
        "hint: 'dev' sets APIPORT, API_URL: to promote them too, run envkeep promote --from dev"
        " --to prod PUBLIC APIPORT API_URL"
    )
    assert hint in result.err_lines, result.describe()
    envkeep.ok(*PROMOTE, "PUBLIC", "API_URL", "APIPORT", "--yes")
    got = envkeep.ok("get", "PUBLIC", "--env", "prod", "--service", "api")
    assert got.stdout == "http://api:8080/v1\n"


def test_a_chain_that_would_close_a_cycle_in_the_target_still_promotes(
    envkeep: Envkeep, project: Path
) -> None:
    # dev: A=${B}, B=${C}; prod: C=${A}. Promoting A alone makes no cycle (B is missing there);
    # only the hint's wider promotion would, so the hint stops at B and A is promoted.
    quick_ok(envkeep, "set", "C=x", "A=${B}", "B=${C}", "--env", "dev")
    quick_ok(envkeep, "set", "C=${A}", "--env", "prod")

    result = envkeep.ok(*PROMOTE, "A", "--yes")

    assert "hint: 'dev' sets B: to promote it too" in result.stderr, result.describe()
    assert "promoted 1 value from 'dev' to 'prod'" in result.err_lines
