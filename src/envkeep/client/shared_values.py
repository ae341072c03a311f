"""Moving a value the services hold alike into the shared scope (`envkeep lift`).

After a pile of .env files is imported, one value (REDIS_URL, LOG_LEVEL) sits in many service
scopes. A share makes it the shared value and removes every service's override holding that
same value, as one batch over every scope (all or nothing; one version each: a history entry
per change). Which value: the one the services that set the name hold alike; when they differ,
the share is refused, naming which services agree (never a value), unless the caller names
the value (``NAME=VALUE``) or a service to take it from (``--from``). An override holding
another value is kept, and said. The batch is checked as `promote`'s is (`write_checks`): a
service that did not set the name sees the shared value from then on, so its schema judges it.

`suggest_lifts` finds the candidates: names that two or more services hold with one value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.assignments import check_references, check_storable
from envkeep.client.conflicts import write_service_changes
from envkeep.client.context import SHARED_SCOPE_OPTION
from envkeep.client.opening import open_for_write
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment


@dataclass(frozen=True)
class Move:
    """What sharing one name does: the value the shared scope gets (never shown unless asked),
    whether it sets, replaces or keeps the shared one, the services whose override goes (it
    holds that value), those whose override stays (another value), and the services that did
    not set the name and see the new shared value from now on."""

    name: str
    value: str
    shared: str  # "new", "replaced" or "kept" (the shared scope holds the value already)
    removed: tuple[str, ...]
    kept: tuple[str, ...]
    newly_seen: tuple[str, ...]
    # whose value it is: the --from service, "shared" (--from -), else the services holding it
    # alike; none when the caller gave it (NAME=VALUE)
    taken_from: tuple[str, ...] = ()

    @property
    def changes(self) -> int:
        """The versions it writes: the shared value's (unless kept), one per removal."""
        return len(self.removed) + (self.shared != "kept")


SHOWN = 5  # services, or values, a refusal names before a count (as `list`'s notes)


@dataclass(frozen=True)
class Refused:
    """A name not lifted: the services setting it hold different values and none was chosen
    (``groups``: those services by the value they hold, never the value, the largest first);
    or, with ``stopped``, the name cannot be lifted at all (no service sets it, the --from
    service does not), ``stopped`` being the refusal a lift of it gets."""

    name: str
    groups: tuple[tuple[str, ...], ...]
    stopped: UsageError | None = None
    kind: str = "differ"  # or "unset", "not_in_source", "not_in_shared" (with ``stopped``)
    reason: str = ""  # what the plan says of a stopped name

    def describe(self) -> str:
        """``api, worker: value 1; web: value 2``: at most ``SHOWN`` values, each naming at
        most ``SHOWN`` services, then counts (30 services each holding its own value)."""
        shown = [f"{_capped(services)}: value {at}" for at, services in enumerate(self.groups, 1)][
            :SHOWN
        ]
        left = len(self.groups) - SHOWN
        more = [f"and {left} more values ({len(self.groups)} in all)"] if left > 0 else []
        return "; ".join(shown + more)

    def line(self) -> str:
        """What the plan says of the name."""
        if self.stopped is not None:
            return f"{self.name}: not lifted, {self.reason}"
        return f"{self.name}: not lifted, the services differ ({self.describe()})"


def _capped(services: Sequence[str]) -> str:
    more = f" and {len(services) - SHOWN} more" if len(services) > SHOWN else ""
    return ", ".join(services[:SHOWN]) + more


@dataclass(frozen=True)
class LiftPlan:
    """The moves planned against one read of the environment (every scope), checked; written
    by `apply_lift` against that read's values (one changed since is a conflict)."""

    opened: OpenEnvironment
    moves: tuple[Move, ...]
    unresolved: tuple[Unresolved, ...] = ()
    refused: tuple[Refused, ...] = ()  # with ``list_refused``: the names left out

    @property
    def changes(self) -> int:
        return sum(move.changes for move in self.moves)


def plan_lift(
    ctx: ClientContext,
    env: str,
    names: Sequence[str],
    *,
    source: str | None = None,
    check: bool = True,
    list_refused: bool = False,
) -> LiftPlan:
    """The plan of sharing ``names`` (``NAME`` or ``NAME=VALUE``) in ``env``; ``source``: the
    service whose value each name takes. Refused (nothing written) when the services differ
    and no value was chosen, when a name is set in no service, or when a schema refuses what a
    service would then see. ``list_refused``: the names whose services differ are left out of
    the plan and listed in it (a dry run shows the rest), not refused."""
    from envkeep.client.broken_references import unresolved_by_writes
    from envkeep.client.write_checks import refuse_violations_across, schemas_to_check

    chosen = _parse(names)
    _refuse_idle_source(chosen, source)
    schemas = schemas_to_check(ctx) if check else {}
    named = None if source == SHARED_SCOPE_OPTION else source
    opened = open_for_write(ctx, env, named, every_scope=True)
    # One pass over the variables: one per name made 200 names over 6,000 variables take 17 s.
    held = held_by_name(opened, chosen)
    planned = [
        _move(opened, name, value, source, held.get(name, {})) for name, value in chosen.items()
    ]
    refused = tuple(p for p in planned if isinstance(p, Refused))
    if refused and not list_refused:
        raise refusal(env, refused)
    moves = tuple(p for p in planned if isinstance(p, Move))
    for move in moves:
        check_references(move.name, move.value, None)
    changes = changes_by_service(moves)
    refuse_violations_across(ctx, opened, changes, schemas)
    unresolved = tuple(unresolved_by_writes(ctx, opened, changes))
    return LiftPlan(opened, tuple(m for m in moves if m.changes), unresolved, refused)


def refusal(env: str, refused: Sequence[Refused]) -> UsageError:
    """The one refusal of a lift of ``refused`` names (a lift, its dry run and its --json
    say the same): the first name that cannot be lifted at all stops it; else the services
    differ, named by the first such name."""
    stopped = next((r.stopped for r in refused if r.stopped is not None), None)
    return stopped or _differ(env, refused)


def apply_lift(ctx: ClientContext, plan: LiftPlan) -> int:
    """Write a checked plan as one batch (confirmed by the caller); returns the versions made."""
    changes = changes_by_service(plan.moves)
    return len(write_service_changes(ctx, plan.opened, changes, confirmed=True))


def changes_by_service(moves: Sequence[Move]) -> dict[str | None, dict[str, str | None]]:
    """The batch of ``moves`` by service (None: the shared scope), None unsetting a name."""
    changes: dict[str | None, dict[str, str | None]] = {}
    for move in moves:
        if move.shared != "kept":
            changes.setdefault(None, {})[move.name] = move.value
        for service in move.removed:
            changes.setdefault(service, {})[move.name] = None
    return changes


def _parse(names: Sequence[str]) -> dict[str, str | None]:
    chosen: dict[str, str | None] = {}
    for given in names:
        name, sep, value = given.partition("=")
        _check_name(name)
        check_storable(name, value)
        if name in chosen:
            raise UsageError(f"{name} is given twice", hint="give each name once")
        chosen[name] = value if sep else None
    if not chosen:
        raise UsageError(
            "no name to lift",
            hint="envkeep lift NAME [NAME…]; see candidates with envkeep lift --suggest",
        )
    return chosen


def _refuse_idle_source(chosen: Mapping[str, str | None], source: str | None) -> None:
    """Refuse ``--from`` when every name gives its value: it would choose nothing, and the
    caller meant one of the two."""
    if source is not None and all(value is not None for value in chosen.values()):
        raise UsageError(
            f"--from {source} chooses nothing: every name gives its value (NAME=VALUE)",
            hint="give NAME=VALUE or --from, not both; nothing was written",
        )


def _check_name(name: str) -> None:
    from envkeep.client.pasted_references import refuse_pasted_names
    from envkeep.core.dotenv import is_valid_name

    refuse_pasted_names("lift", [name])
    if not is_valid_name(name):
        raise UsageError(
            f"'{name}' is not a valid variable name",
            hint="start with a letter or '_', then letters, digits, '_', '.' or '-'",
        )


def held_by_name(
    opened: OpenEnvironment, names: Collection[str] | None = None
) -> dict[str, dict[str, str]]:
    """The services that set each name (of ``names``; None: every name) in their own scope,
    and the value each holds, read in one pass over the environment's variables."""
    held: dict[str, dict[str, str]] = {}
    for v in opened.variables():
        if v.scope_key != SHARED_SCOPE and (names is None or v.name in names):
            held.setdefault(v.name, {})[v.scope] = v.value
    return held


def _move(
    opened: OpenEnvironment,
    name: str,
    value: str | None,
    source: str | None,
    held: Mapping[str, str],
) -> Move | Refused:
    """What lifting ``name`` does, ``held``: the services that set it and their values; a
    Refused when they differ and neither ``value`` nor ``source`` chooses."""
    shared = opened.find(SHARED_SCOPE, name)
    taken_from: tuple[str, ...] = ()
    if value is None:
        taken = _taken(opened, name, held, source, shared=None if shared is None else shared.value)
        if isinstance(taken, Refused):
            return taken
        value, taken_from = taken
    removed = tuple(sorted(s for s, v in held.items() if v == value))
    kept = tuple(sorted(s for s, v in held.items() if v != value))
    if shared is not None and shared.value == value:
        return Move(name, value, "kept", removed, kept, (), taken_from)
    every = sorted(s.name for s in opened.snapshot.services)
    newly_seen = tuple(s for s in every if s not in held)
    shared_is = "new" if shared is None else "replaced"
    return Move(name, value, shared_is, removed, kept, newly_seen, taken_from)


def _taken(
    opened: OpenEnvironment,
    name: str,
    held: Mapping[str, str],
    source: str | None,
    *,
    shared: str | None,
) -> tuple[str, tuple[str, ...]] | Refused:
    """The value ``name`` is shared with, and whose it is: ``source``'s (``-``: the shared
    scope's), else the one every service holds; Refused when they differ."""
    env = opened.snapshot.environment.name
    if source is not None:
        return _from_source(env, name, held, source, shared=shared)
    if not held:
        where = "nothing sets it" if shared is None else "the shared scope holds it already"
        return _stop(
            name,
            "unset",
            f"no service sets it ({where})",
            f"no service sets {name} in '{env}' ({where}); nothing to lift",
            f"see what is set where with: envkeep explain {name} --env {env} --service SERVICE",
        )
    values = set(held.values())
    if len(values) > 1:
        return Refused(name, _groups(held))
    return values.pop(), tuple(sorted(held))


def _from_source(
    env: str, name: str, held: Mapping[str, str], source: str, *, shared: str | None
) -> tuple[str, tuple[str, ...]] | Refused:
    """``--from``'s value of ``name`` (``-``: the shared scope's); a stop when it holds none."""
    if source == SHARED_SCOPE_OPTION:
        if shared is None:
            return _stop(
                name,
                "not_in_shared",
                "the shared scope does not hold it (--from - keeps its value)",
                f"the shared scope does not hold {name} in '{env}'; --from - keeps its value",
                f"take it from a service with --from SERVICE, or give it: {name}=VALUE",
            )
        return shared, (SHARED_SCOPE,)
    if source not in held:
        setting = ", ".join(sorted(held)) or "none"
        return _stop(
            name,
            "not_in_source",
            f"service {source} does not set it (services that do: {setting})",
            f"service {source} does not set {name} in '{env}' (services that do: {setting})",
            f"take it from one of those with --from, or give it: {name}=VALUE",
        )
    return held[source], (source,)


def _stop(name: str, kind: str, reason: str, message: str, hint: str) -> Refused:
    """A name that cannot be lifted at all: ``reason`` for the plan, the refusal otherwise."""
    return Refused(name, (), UsageError(message, hint=hint), kind, reason)


def _differ(env: str, refused: Sequence[Refused]) -> UsageError:
    """The refusal of a lift whose services differ over a name, naming them (never a value)."""
    first = refused[0]
    more = ""
    if len(refused) > 1:
        others = ", ".join(r.name for r in refused[1:4]) + (" …" if len(refused) > 4 else "")
        more = f" (so do {len(refused) - 1} more: {others})"
    return UsageError(
        f"{first.name} differs between services in '{env}': {first.describe()}{more};"
        " nothing was written",
        hint=f"choose whose value to lift with --from SERVICE (- keeps the shared one), or"
        f" give it: {first.name}=VALUE (overrides holding another value are kept)",
    )


def _groups(held: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """The services grouped by the value they hold, never the value: the largest group
    first."""
    by_value: dict[str, list[str]] = {}
    for service, value in sorted(held.items()):
        by_value.setdefault(value, []).append(service)
    groups = sorted(by_value.values(), key=lambda services: (-len(services), services))
    return tuple(tuple(services) for services in groups)


@dataclass(frozen=True)
class Candidate:
    """A name worth sharing: the services holding one value alike, and whether the shared
    scope already holds that value (their overrides are then redundant)."""

    name: str
    services: tuple[str, ...]
    same_as_shared: bool
    others: tuple[str, ...] = ()  # the services setting it to another value


def suggest_lifts(ctx: ClientContext, env: str) -> list[Candidate]:
    """The names two or more services hold with one value, or that a service holds with the
    shared scope's value, sorted by name (a name with two such groups: its largest)."""
    from envkeep.client.opening import open_all_scopes

    opened = open_all_scopes(ctx, env)
    # One pass over the variables: one per name made --suggest over 4,000 names take minutes.
    found = []
    for name, held in sorted(held_by_name(opened).items()):
        shared = opened.find(SHARED_SCOPE, name)
        same = [s for s, v in held.items() if shared is not None and v == shared.value]
        if same:
            found.append(_candidate(name, same, held, same_as_shared=True))
            continue
        by_value: dict[str, list[str]] = {}
        for service, value in held.items():
            by_value.setdefault(value, []).append(service)
        largest = max(by_value.values(), key=len)
        if len(largest) >= 2:
            found.append(_candidate(name, largest, held, same_as_shared=False))
    return found


def _candidate(
    name: str, alike: Sequence[str], held: Mapping[str, str], *, same_as_shared: bool
) -> Candidate:
    others = tuple(sorted(set(held) - set(alike)))
    return Candidate(name, tuple(sorted(alike)), same_as_shared, others)
