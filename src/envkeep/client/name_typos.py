"""A name written that no schema seeing it declares, where one declares a name very like it
(``port`` beside ``PORT``, ``DATABSE_URL``): most likely a typo, which would add a variable
no service reads while the declared one stays as it was. Said as a warning; the write goes
ahead (a service may read names its schema does not declare). And the names a name asked for
and not found may mistype (`close_names`), for "did you mean"."""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from envkeep.core.schema import Schema

_CLOSE = 0.85  # one letter off in a name of seven or more, two swapped, or another case
_NEAR = 0.6  # what a name looked up may mistype: looser, as "did you mean" only suggests


def close_names(name: str, known: Collection[str], *, limit: int = 3) -> list[str]:
    """The names of ``known`` that ``name`` (not found) most likely mistypes, closest first."""
    return get_close_matches(name, sorted(known), n=limit, cutoff=_NEAR)


def near_misses(
    schemas: Mapping[str, Schema], service: str | None, names: Collection[str]
) -> list[str]:
    """A warning for each of ``names`` (new in ``service``'s scope; None: shared) that no
    schema of the services seeing it declares, naming the declared name it most resembles."""
    seeing = {
        owner: schema
        for owner, schema in schemas.items()
        if service is None or owner == service  # a shared value: every service sees it
    }
    declared = {name for schema in seeing.values() for name in schema.names}
    warnings = []
    for name in names:
        if name in declared:
            continue
        meant = _resembled(name, declared)
        if meant is not None:
            owners = [o for o, schema in sorted(seeing.items()) if meant in schema.names]
            whose = (
                f"the schema of {owners[0]} declares"
                if len(owners) == 1
                else f"the schemas of {', '.join(owners)} declare"
            )
            warnings.append(
                f"warning: {whose} {meant}, not {name}: if {name} was a typo, set {meant} and"
                f" unset {name}"
            )
    return warnings


def _resembled(name: str, declared: Collection[str]) -> str | None:
    """The declared name ``name`` most resembles, case aside; None for none close."""
    by_lower = {known.lower(): known for known in sorted(declared, reverse=True)}
    found = get_close_matches(name.lower(), sorted(by_lower), n=1, cutoff=_CLOSE)
    return by_lower[found[0]] if found else None
