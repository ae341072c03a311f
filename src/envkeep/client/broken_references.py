"""What an unset or a service's removal leaves dangling: the ``${...}`` references that
resolved before the change and will not after it, for a warning (the change goes ahead); and
what a set writes dangling: a written value whose references do not resolve (a service or a
name that does not exist), also a warning (its referent may be set next), or that resolves
only because its fallback stands in for a service that does not exist (`stray_references`).
A written value that would be part of a reference cycle is refused instead (`refuse_cycles`):
setting a name that is not set yet cannot end a cycle; and so is a removal that would uncover
one, a value it hid taking its place (`refuse_uncovered_cycles`).

Both states are worked out from one read of the environment, every scope: the change is
applied to the arranged layers, not to the store. Personal overrides are left out, as the
change is for the whole team. A name still given by another layer (a shared value under an
unset service value, a schema default) still resolves, so it is not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.reference_errors import CYCLE, worded
from envkeep.client.resolution import resolve_in, team_layers, where_flags
from envkeep.client.stray_references import fallback_only, stray_references
from envkeep.core.errors import InputError, ReferenceProblem
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.resolve import Resolution


@dataclass(frozen=True)
class BrokenReference:
    """A variable whose reference to ``reference`` (as its resolution names it: ``PORT``,
    ``api.PORT``) will no longer resolve, in ``places``: the services that see it so, and
    ``shared`` for the shared scope; ``environments`` names where, when it is not the one
    environment the change was made in."""

    name: str
    reference: str
    places: tuple[str, ...]
    environments: tuple[str, ...] = ()

    def describe(self) -> str:
        """The warning's text: where, which variable, which reference, what it means."""
        within = f"in {', '.join(self.environments)}: " if self.environments else ""
        if self.places == (SHARED_SCOPE,) or len(self.places) > 1:
            subject = f"{self.name} ({', '.join(self.places)})"
        else:
            subject = f"{self.places[0]}.{self.name}"
        return (
            f"{within}{subject} refers to ${{{self.reference}}}, which is no longer set; export"
            " and run will fail until it is set again"
        )


def broken_by_unset(
    ctx: ClientContext, opened: OpenEnvironment, service: str | None, names: Collection[str]
) -> list[BrokenReference]:
    """The references that unsetting ``names`` in ``service``'s scope (None: shared) breaks;
    ``opened`` was read with every scope. Refused when it would uncover a reference cycle
    (`refuse_uncovered_cycles`)."""
    before = team_layers(ctx, opened)
    if before is None:
        return []
    after = before.with_changes(service, dict.fromkeys(names))
    env = opened.snapshot.environment.name
    refuse_uncovered_cycles(ctx, before, after, service, names, env=env, doing="unsetting")
    return newly_broken(before, after)


def broken_by_changes(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changes: Mapping[str, str | None],
) -> list[BrokenReference]:
    """The references elsewhere that ``changes`` to ``service``'s scope (a None value unsets
    its name; an `edit`'s) break; none when it unsets nothing. ``opened`` was read with every
    scope; cycles were refused already (`unresolved_by_set`)."""
    if all(value is not None for value in changes.values()):
        return []
    before = team_layers(ctx, opened)
    if before is None:
        return []
    return newly_broken(before, before.with_changes(service, changes))


@dataclass(frozen=True)
class Unresolved:
    """A value just written to ``scope`` (a service, or ``shared``) that does not resolve in
    ``places`` (the services that see it; ``shared`` when there is none), and the resolver's
    ``reason``; ``missing``: the names it refers to that nothing sets there (``NAME`` of
    ``${svc.NAME}`` too), by name."""

    name: str
    scope: str
    reason: str
    places: tuple[str, ...]
    missing: tuple[str, ...] = ()
    # It resolves, but only because a fallback stands in for a reference to no service
    # (`stray_references`): ``reason`` says so, and nothing will fail.
    fallback_only: bool = False

    def describe(self) -> str:
        """The warning's text: which value, where, why, what it means."""
        if self.scope != SHARED_SCOPE:
            subject = f"{self.scope}.{self.name}"
        elif self.places == (SHARED_SCOPE,):
            subject = f"{self.name} (shared)"
        else:
            subject = f"{self.name} (shared) in {', '.join(self.places)}"
        if self.fallback_only:
            return f"{subject} {self.reason}"
        said = f"{subject} does not resolve: {self.reason}; export and run will fail until it does"
        shell = _SHELL_FALLBACK.search(self.reason)
        if shell is not None:  # `${A-x}` names a variable "A-x" here: no shell fallback
            said += f" (a fallback is written ${{{shell[1]}:-{shell[2]}}})"
        return said


# A dangling name that reads as a shell's `${NAME-text}` (envkeep names may hold '-').
_SHELL_FALLBACK = re.compile(r"'([A-Za-z_][A-Za-z0-9_.]*)-([^']*)' is not set")


def unresolved_by_set(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changes: Mapping[str, str | None],
) -> list[Unresolved]:
    """The values ``changes`` writes (to ``service``'s scope; None: shared; a None value unsets
    its name) that will not resolve wherever they are seen once written; ``opened`` was read
    with every scope. Nothing is resolved when no written value has a ``${``."""
    return unresolved_by_writes(ctx, opened, {service: changes})


def unresolved_by_writes(
    ctx: ClientContext,
    opened: OpenEnvironment,
    writes: Mapping[str | None, Mapping[str, str | None]],
) -> list[Unresolved]:
    """`unresolved_by_set` of changes to several scopes written together (a promotion): each
    value checked with all of them made. A written value that would come back to itself, in a
    place that sees it, is refused (`refuse_cycles`)."""
    written = [v for changes in writes.values() for v in changes.values() if v is not None]
    removed = {
        service: [name for name, value in changes.items() if value is None]
        for service, changes in writes.items()
    }
    refers = any("${" in value for value in written)
    if not refers and not any(removed.values()):  # nothing to resolve, nothing uncovered
        return []
    before = team_layers(ctx, opened)
    if before is None:
        return []
    after = before
    for service, changes in writes.items():
        after = after.with_changes(service, changes)
    found = [
        found
        for service, changes in writes.items()
        for found in (_unresolved(after, service, changes) if refers else ())
    ]
    refuse_cycles(found)
    env = opened.snapshot.environment.name
    for service, names in removed.items():
        if names:
            refuse_uncovered_cycles(ctx, before, after, service, names, env=env, doing="removing")
    return found


def refuse_cycles(found: Collection[Unresolved]) -> None:
    """Raise ReferenceProblem (exit 3, as a self-reference at `set`) when a written value is in
    a reference cycle where it is seen (``A=${B} B=${A}``, or ``A=${B}`` where B is ``${A}``):
    unlike a name not set yet, which the next write may set, only a change to a value of the
    cycle could end it, so nothing is written. A value that refers into a cycle it is not part of is
    a warning, as any other that does not resolve."""
    cycles = [u for u in found if _cycle_through(u.reason)]
    if not cycles:
        return
    names = list(dict.fromkeys(u.name for u in cycles))
    first = cycles[0]
    subject = (
        f"the value of {names[0]}" if len(names) == 1 else f"the values of {spoken_list(names)}"
    )
    where = "" if first.places == (first.scope,) else f" in {', '.join(first.places)}"
    pronoun = "it" if len(names) == 1 else "they"
    raise ReferenceProblem(
        f"{subject} would refer back to {'itself' if len(names) == 1 else 'themselves'}"
        f" ({first.reason}{where}), so {pronoun} could never resolve; nothing was written",
        hint="end the cycle: give one of its names a value without a reference (in the same"
        " command, or first)",
    )


def refuse_uncovered_cycles(
    ctx: ClientContext,
    before: ProjectLayers,
    after: ProjectLayers,
    service: str | None,
    removed: Collection[str],
    *,
    env: str,
    doing: str,
) -> None:
    """Raise ReferenceProblem (exit 3, as `refuse_cycles` for a set) when removing ``removed``
    from ``service``'s scope (None: shared) leaves a reference cycle where there was none: a
    value that ended one (a service's own ``B=1`` over a shared ``B=${A}`` beside ``A=${B}``)
    gives way to the value it hid, and the names of the cycle would never resolve there again.
    ``doing`` names the change (``unsetting``, ``removing``) in ``env``."""
    new = new_cycles(before, after, removed)
    if not new:
        return
    reason, places = next(iter(new.items()))
    path = reason.removeprefix(CYCLE)
    route = path.split(" -> ")[:-1]
    scope = "the shared scope" if service is None else f"service '{service}'"
    shown = None if places[0] == SHARED_SCOPE else places[0]
    # A name of the cycle other than one being removed: the removed value is what ends it now.
    other = next((name for name in route if name not in removed), route[0])
    raise ReferenceProblem(
        f"{doing} {spoken_list(list(removed))} in {scope} would uncover a reference cycle"
        f" ({path} in {', '.join(places)}), so {spoken_list(route)} could never resolve there;"
        " nothing was changed",
        hint=f"end the cycle first: give {other} a value without a reference where it is set"
        f" (see where: envkeep explain {other} {where_flags(ctx, env, shown)}), then try again",
    )


def new_cycles(
    before: ProjectLayers, after: ProjectLayers, removed: Collection[str] = ()
) -> dict[str, list[str]]:
    """The reference cycles seen in ``after`` and not in ``before``, each by its reason (as its
    first name sees it, a name in ``removed`` first when one is in it), with the places that
    see it: the shared scope alone (``shared``), then services by name; a service ``before``
    lacks sees each of its cycles anew."""
    new: dict[str, list[str]] = {}
    for target in [None, *sorted(after.by_service)]:
        for reason in _new_cycles(before, after, target, removed):
            new.setdefault(reason, []).append(target or SHARED_SCOPE)
    return new


def _new_cycles(
    before: ProjectLayers, after: ProjectLayers, target: str | None, removed: Collection[str]
) -> list[str]:
    """The reference cycles ``target`` (None: the shared scope alone) sees in ``after`` and
    did not in ``before``, each once, as a removed name in it sees it when one is."""
    try:
        now = resolve_in(after, target)
        cycles = {name: r for name, r in now.errors.items() if _cycle_through(r)}
        added = target is not None and target not in before.by_service  # nothing seen before
        was = None if added or not cycles else resolve_in(before, target)
    except InputError:  # a broken schema or template: its own commands say so
        return []
    old = {} if was is None else was.errors
    fresh = {n: r for n, r in cycles.items() if not _cycle_through(old.get(n, ""))}
    found: dict[frozenset[str], str] = {}
    for name in sorted(fresh, key=lambda name: name not in removed):  # removed names first
        members = frozenset(fresh[name].removeprefix(CYCLE).split(" -> "))
        found.setdefault(members, fresh[name])
    return list(found.values())


def _cycle_through(reason: str) -> bool:
    """Whether the resolver's ``reason`` is a cycle the name itself is part of: its path ends
    where it starts (``A -> B -> A``), not at another name (``X -> A -> B -> A``)."""
    if not reason.startswith(CYCLE):
        return False
    route = reason.removeprefix(CYCLE).split(" -> ")
    return route[0] == route[-1]


def _unresolved(
    after: ProjectLayers, service: str | None, changes: Mapping[str, str | None]
) -> list[Unresolved]:
    found: dict[tuple[str, str, bool], list[str]] = {}
    missing: dict[str, set[str]] = {}
    # A shared value is checked in the services that see it (one may refer to a name each
    # service sets itself); in the shared scope alone only when there is no service.
    targets: list[str | None] = [service]
    if service is None and after.by_service:
        targets = [*sorted(after.by_service)]
    for target in targets:
        try:
            now = resolve_in(after, target)
        except InputError:  # a broken schema or template: its own commands say so
            continue
        for name, value in changes.items():  # where the written value is the one seen
            if value is None or now.raw.get(name) != value:
                continue
            strays = stray_references(value, after.by_service, now.values)
            if name in now.errors:
                reason = worded(after, now, name)
                found.setdefault((name, reason, False), []).append(target or SHARED_SCOPE)
                missing.setdefault(name, set()).update(_not_set(after, now, value))
            elif strays:  # a fallback hides a reference to no service
                key = (name, fallback_only(strays), True)
                found.setdefault(key, []).append(target or SHARED_SCOPE)
    scope = service or SHARED_SCOPE
    return [
        Unresolved(
            name, scope, reason, tuple(places), tuple(sorted(missing.get(name, ()))), stands_in
        )
        for (name, reason, stands_in), places in found.items()
    ]


def _not_set(after: ProjectLayers, now: Resolution, value: str) -> Iterator[str]:
    """The names ``value`` refers to that nothing sets (for ``${svc.NAME}``: ``NAME``)."""
    from envkeep.core.references import find_references

    for reference in find_references(value, services=after.by_service):
        if not _still_set(after, now, str(reference)):
            yield reference.name


def newly_broken(before: ProjectLayers, after: ProjectLayers) -> list[BrokenReference]:
    """Each reference that resolves in ``before`` and not in ``after``, once, with every
    place (the shared scope, then services by name) that sees it broken."""
    found: dict[tuple[str, str], list[str]] = {}
    for target in [None, *sorted(after.by_service)]:
        for name, reference in _broken_in(before, after, target):
            found.setdefault((name, reference), []).append(target or SHARED_SCOPE)
    return [BrokenReference(name, ref, tuple(places)) for (name, ref), places in found.items()]


def _broken_in(
    before: ProjectLayers, after: ProjectLayers, target: str | None
) -> Iterator[tuple[str, str]]:
    try:
        now = resolve_in(after, target)
        was = resolve_in(before, target) if now.errors else now
    except InputError:  # a broken schema or template: its own commands say so
        return
    for name in now.errors:
        if name in was.errors or name not in was.values:
            continue  # broken already, or not there before
        for reference in was.references.get(name, ()):
            if not _still_set(after, now, reference):
                yield name, _as_written(was.raw[name], reference, target, before)


def _as_written(raw: str, reference: str, target: str | None, before: ProjectLayers) -> str:
    """``reference`` as the value writes it: ``api.PORT`` in api's own value that says so,
    where the resolution names it ``PORT`` (the same value in api's own set)."""
    from envkeep.core.references import find_references

    if target is None or "${" not in raw:
        return reference
    written = {str(found) for found in find_references(raw, services=before.by_service)}
    qualified = f"{target}.{reference}"
    return qualified if qualified in written and reference not in written else reference


def _still_set(after: ProjectLayers, now: Resolution, reference: str) -> bool:
    """Whether ``reference`` (``NAME`` of the same set, or ``service.NAME``) names a value."""
    if reference in now.values:
        return True
    head, dot, tail = reference.partition(".")
    values = after.merged(head) if dot else None
    return values is not None and tail in values
