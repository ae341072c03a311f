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
