"""The other names one environment goes by: `production` for `prod`, `development` for `dev`,
`stg` for `staging`. Too far apart for `core.near_names`' spelling matcher, yet what a team
moving from another tool types (Doppler's `prd` and `stg`, a compose file's `production`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# Each group: the names one environment is commonly given, any of which may be the stored one.
_SAME_ENVIRONMENT: tuple[frozenset[str], ...] = (
    frozenset({"dev", "development", "develop"}),
    frozenset({"staging", "stage", "stg"}),
    frozenset({"prod", "production", "prd", "live"}),
    frozenset({"test", "testing"}),
)


def same_environment(name: str, existing: Iterable[str]) -> str | None:
    """The environment of ``existing`` that ``name`` (not found) is another name for, by the
    usual names (case aside); None when none is."""
    typed = name.lower()
    group = next((names for names in _SAME_ENVIRONMENT if typed in names), frozenset())
    return next((env for env in sorted(existing) if env.lower() in group and env != name), None)
