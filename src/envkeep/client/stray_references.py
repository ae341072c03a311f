"""References to a service that envkeep.toml does not declare: ``${apii.HOST}`` beside a
service ``api``. Names may hold dots, so such a reference is read as the name ``apii.HOST``
of the same set; unless that name is set, it is most likely a mistyped or removed service.
Without a fallback it does not resolve (an error that names the service: `services_meant` adds
the close one); with one, the fallback always stands in and nothing failed, so `set`,
`import`, `edit` and `promote` warn of it and `validate` gives a warning finding
(`stray_references`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.not_found import close_to
from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.references import service_like_references

if TYPE_CHECKING:
    from collections.abc import Collection

    from envkeep.core.references import Reference

# How the resolver ends the error of `${apii.HOST}` (no fallback): what `services_meant` follows.
NO_SERVICE = ", and there is no service '"


@dataclass(frozen=True)
class StrayReference:
    """A reference to ``reference.service``, which is no service; ``meant``: the declared
    service it most likely mistypes (None: none close)."""

    reference: Reference
    meant: str | None

    def describe(self) -> str:
        """What is wrong, without the value: the reference's name, the service, the close one."""
        stray = f"${{{self.reference}}}, but there is no service '{self.reference.service}'"
        return stray + did_you_mean_aside(self.meant)


def stray_references(
    value: str, services: Collection[str], names: Collection[str]
) -> list[StrayReference]:
    """The references of ``value`` to a service not among ``services`` (the project's), but
    for a dotted name that ``names`` (the set the value is seen in) holds."""
    if "${" not in value or "." not in value:
        return []
    known = sorted(services)
    return [
        StrayReference(reference, close_to(str(reference.service), known))
        for reference in service_like_references(value, services)
        if str(reference) not in names
    ]


def fallback_only(strays: Collection[StrayReference]) -> str:
    """What is wrong with a value that resolves, though it refers to no service: the fallback
    always stands in (``refers to ${apii.HOST}, but …``)."""
    said = "; ".join(stray.describe() for stray in strays)
    return f"refers to {said}: its fallback always stands in"


def services_meant(strays: Collection[StrayReference]) -> str:
    """`` (did you mean 'api'?)`` for a resolution error about a service that does not
    exist; empty when none is close."""
    return did_you_mean_aside(sorted({s.meant for s in strays if s.meant is not None}))


def other_environment(strays: Collection[StrayReference], environments: Collection[str]) -> str:
    """`` ('staging' is an environment: …)`` for ``${staging.api.PORT}``, as Doppler and Infisical
    write a reference into another environment: here a reference reads its own environment."""
    named = sorted({str(s.reference.service) for s in strays} & set(environments))
    if not named:
        return ""
    what = f"'{named[0]}' is an environment" if len(named) == 1 else "those are environments"
    return f" ({what}: a reference reads only the environment it is in)"
