"""Validation findings about values this machine's ``.envkeep/local.env`` gives: personal
overrides, never stored, which a refusal must name as such, or whoever meets it looks for the
wrong value in the store (`envkeep set`, the shared scope) and finds nothing wrong there.

A finding is personal when its name is set in local.env (the top layer: it won), or, for a
value refused by its type or rules, when it refers (``${NAME}``, ``${svc.NAME}``, directly or
through other values) to a name local.env sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.personal_overrides import LOCAL_OVERRIDES
from envkeep.core.validate import Finding

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from envkeep.core.resolve import Resolution

# The rules that judge a value as expanded: its references' values are part of what failed.
_VALUE_RULES = frozenset({"empty", "type", "enum", "range", "pattern"})


def label_personal(
    findings: Sequence[Finding], resolution: Resolution, services: Collection[str]
) -> tuple[list[Finding], tuple[str, ...]]:
    """``findings`` with those about a personal override saying so in their message, and the
    names local.env sets that are behind an error (for `validation.personal_hint`), in order.
    ``services``: the environment's services (``${svc.NAME}`` reads svc's local.env too)."""
    personal = resolution.set_by({"local"})
    if not personal or not findings:
        return list(findings), ()
    labelled: list[Finding] = []
    behind_errors: dict[str, None] = {}
    for finding in findings:
        references = _personal_references(finding, resolution, personal, services)
        direct = finding.value is not None and finding.name in personal
        if direct or references:
            labelled.append(_labelled(finding, list(references), direct=direct))
            if finding.severity == "error":
                names = [finding.name] if direct else references.values()
                behind_errors.update(dict.fromkeys(names))
        else:
            labelled.append(finding)
    return labelled, tuple(behind_errors)


def _personal_references(
    finding: Finding,
    resolution: Resolution,
    personal: Collection[str],
    services: Collection[str],
) -> dict[str, str]:
    """The references (as written: ``NAME``, ``svc.NAME``) of a value refused for what it
    expands to, that local.env sets, each with the name it sets (local.env applies to every
    service: ``${svc.NAME}`` reads its NAME); none for a value set in local.env itself."""
    if finding.rule not in _VALUE_RULES or finding.name in personal:
        return {}
    found: dict[str, str] = {}
    for reference in resolution.references.get(finding.name, ()):
        service, dot, name = reference.partition(".")
        if reference in personal:
            found[reference] = reference
        elif dot and service in services and name in personal:
            found[reference] = name
    return found


def _labelled(finding: Finding, references: Sequence[str], *, direct: bool) -> Finding:
    if direct:
        origin = f"from {LOCAL_OVERRIDES}, your personal override"
    else:
        shown = ", ".join(f"${{{r}}}" for r in references)
        plural = "s" if len(references) > 1 else ""
        origin = f"as it refers to {shown}, from {LOCAL_OVERRIDES}, your personal override{plural}"
    return Finding(
        finding.service,
        finding.name,
        finding.rule,
        f"{finding.message} ({origin})",
        finding.severity,
        finding.value,
    )
