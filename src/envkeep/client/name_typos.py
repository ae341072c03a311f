"""A name written that no schema seeing it declares, where one declares a name very like it
(``port`` beside ``PORT``, ``DATABSE_URL``): most likely a typo, which would add a variable
no service reads while the declared one stays as it was. Said as a warning; the write goes
ahead (a service may read names its schema does not declare). And the close name for a
reference to a name that is not set (`did_you_mean_name`). One matcher for both:
`core.near_names`; one wording of "did you mean": `core.did_you_mean`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.near_names import typo_of

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from envkeep.core.schema import Schema


# How the resolver ends the error of a reference to a name not set: the name, and the service
# when the reference names another one (`core.references`).
_NOT_SET = re.compile(r"'([^']+)' is not set(?: in service '([^']+)')?$")


def did_you_mean_name(
    error: str, seen: Collection[str], merged: Callable[[str], Collection[str] | None]
) -> str:
    """For a resolver's ``error`` about a reference to a name that is not set: `` (did you
    mean PORT?)`` when a name there is a slip of it (in ``seen``, the set the value is seen
    in, or in ``merged(service)`` for ``${service.NAME}``); else empty."""
    found = _NOT_SET.search(error)
    if found is None:
        return ""
    name, service = found[1], found[2]
    # Slips only (`typo_of`): the reference is most often right and the name merely has no
    # value yet, so a loose guess (DB_PORT for DB_PASSWORD) would send the reader to the
    # wrong variable.
    close = typo_of(name, seen if service is None else (merged(service) or ()))
    return did_you_mean_aside(close, quoted=False)


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
        meant = typo_of(name, declared)
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
