"""Promoting values from one environment into another (`promote`): the plan (what the target
lacks or holds otherwise), checked against one read of the target, then written as one batch.

A promotion is checked as `set` checks a write (`write_checks`): against the schemas of the
target's services that will see a promoted value or a value referring to one, before anyone is
asked to confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from envkeep.app.not_found import service_not_found
from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.conflicts import write_service_changes
from envkeep.client.context import SHARED_SCOPE_OPTION
from envkeep.client.environment_diff import Difference, DiffRead, diff_read
from envkeep.client.pasted_references import refuse_pasted_names
from envkeep.client.shadowed_shared import shadowed_names
from envkeep.client.write_role import refuse_unless_writable
from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.errors import ReferenceProblem, UsageError
from envkeep.core.near_names import suggestions

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment


class Scoped(Protocol):
    """A value in one scope: a difference between environments, or a variable read."""

    @property
    def scope(self) -> str: ...  # "shared" or a service's name

    @property
    def scope_key(self) -> str: ...  # the stored scope


@dataclass(frozen=True)
class PromotionPlan:
    """What a promotion writes (``differences``), and the reads (every scope) it was planned
    against (``compared``): `prepare_promotion` checks it against the target's read, it is
    written against that read, and the names its hint adds are planned from both reads
    (reading them again decrypted thousands of values once more)."""

    differences: list[Difference]
    compared: DiffRead

    @property
    def target(self) -> OpenEnvironment:
        """The read of the target planned against."""
        return self.compared.target


def plan_promotion(
    ctx: ClientContext,
    source: str,
    target: str,
    names: Sequence[str] = (),
    *,
    scope: str | None = None,
) -> PromotionPlan:
    """What promoting ``source`` into ``target`` writes: names set in the source that the
    target lacks or holds with another value (nothing is deleted), limited to ``names`` and,
    when ``scope`` names one (a service, or ``-`` for the shared scope), to that scope."""
    if source == target:
        raise UsageError(
            f"--from and --to both name '{source}'",
            hint="promote copies values between two environments: name another with --to",
        )
    refuse_pasted_names(f"promote --from {source} --to {target}", names)
    within = _scope_filter(ctx, scope)
    compared = diff_read(ctx, source, target, writing=True)
    plan = _planned(compared, names, within)
    known = {v.name for v in compared.source.variables() if within(v)}
    missing = set(names) - known
    if missing:
        said = [
            name + did_you_mean_aside(suggestions(name, known, limit=1), quoted=False)
            for name in sorted(missing)
        ]
        raise UsageError(
            f"not set in '{source}': {', '.join(said)}",
            hint=f"see what is there with: envkeep list --env {source}",
        )
    return PromotionPlan(plan, compared)


def _planned(
    compared: DiffRead,
    names: Sequence[str],
    within: Callable[[Scoped], bool] = lambda _found: True,
) -> list[Difference]:
    """The differences a promotion of ``names`` (every name with none) ``within`` a scope
    writes: those the source sets."""
    wanted = set(names)
    return [
        d
        for d in compared.differences
        if d.source_value is not None and (not wanted or d.name in wanted) and within(d)
    ]


def _scope_filter(ctx: ClientContext, scope: str | None) -> Callable[[Scoped], bool]:
    """Whether a value is in the scope ``--service`` names (every scope without one); an
    unknown service is refused, naming those that exist."""
    if scope is None:
        return lambda _found: True
    if scope == SHARED_SCOPE_OPTION:
        return lambda found: found.scope_key == SHARED_SCOPE
    project = ctx.project_file.project
    services = [s.name for s in ctx.backend.list_services(project)]
    if scope not in services:
        raise service_not_found(scope, project, services)
    return lambda found: found.scope_key != SHARED_SCOPE and found.scope == scope


@dataclass(frozen=True)
class Promotion:
    """A promotion plan with the read of its target environment it was checked against; it is
    written against that read's values (one changed since is a conflict; a key rotated since is
    not: `conflicts.write_scoped_changes`).
    ``unresolved``: the promoted values that will not resolve in the target (a warning);
    ``also``: the names they refer to that the target lacks and the source sets, to promote
    too."""

    opened: OpenEnvironment
    plan: tuple[Difference, ...]
    unresolved: tuple[Unresolved, ...] = ()
    also: tuple[str, ...] = ()
    shadowed: tuple[Shadowed, ...] = ()  # the shared values promoted that services override


def prepare_promotion(
    ctx: ClientContext,
    source: str,
    target: str,
    planned: PromotionPlan,
    *,
    check: bool = True,
) -> Promotion:
    """``planned`` against the read of ``target`` (every scope) it was planned against, ready
    for `apply_promotion`.
    ``check``: refused (SchemaViolation, nothing written) when a schema of a service that will
    see a promoted value, or a value referring to one, refuses it there (`write_checks`). Called
    before the confirmation: no one is asked for a write that would be refused, nor, unwarned,
    for values that will not resolve there (their references named, as `set` names them)."""
    from envkeep.client.broken_references import unresolved_by_writes
    from envkeep.client.write_checks import refuse_violations_across, schemas_to_check

    opened, plan = planned.target, planned.differences
    refuse_unless_writable(ctx, opened)  # the role now held, before what is written
    schemas = schemas_to_check(ctx) if check else {}
    changes = _changes_by_service(plan)
    refuse_violations_across(ctx, opened, changes, schemas)
    unresolved = tuple(unresolved_by_writes(ctx, opened, changes))
    also = _also_needed(ctx, planned, unresolved) if unresolved else ()
    shadowed = shadowed_names(ctx, opened, changes.get(None, {}), batch=changes)
    return Promotion(opened, tuple(plan), unresolved, also, shadowed)


def _also_needed(
    ctx: ClientContext, planned: PromotionPlan, unresolved: Sequence[Unresolved]
) -> tuple[str, ...]:
    """The names the ``unresolved`` values need that the source sets, and in turn what those
    need (`${worker.API_URL}`, whose value is `http://api:${api.PORT}`): the hint's command
    then promotes a whole chain at once, rather than one more link on each run. Each link is
    planned from the reads ``planned`` was (a hint: what is written is ``planned``)."""
    from envkeep.client.broken_references import unresolved_by_writes

    promoted = {d.name for d in planned.differences}
    in_source = {v.name for v in planned.compared.source.variables()}
    also: set[str] = set()
    while True:
        wanted = {name for found in unresolved for name in found.missing}
        new = (wanted & in_source) - promoted - also
        if not new:
            return tuple(sorted(also))
        also |= new
        wider = _planned(planned.compared, sorted(promoted | also))
        try:
            unresolved = unresolved_by_writes(ctx, planned.target, _changes_by_service(wider))
        except ReferenceProblem:  # promoting more would close a cycle in the target: stop here
            return tuple(sorted(also))


def _changes_by_service(plan: Sequence[Difference]) -> dict[str | None, dict[str, str | None]]:
    """The batch of ``plan`` by service (None: the shared scope)."""
    changes: dict[str | None, dict[str, str | None]] = {}
    for d in plan:
        scope = None if d.scope_key == SHARED_SCOPE else d.scope
        changes.setdefault(scope, {})[d.name] = d.source_value
    return changes


def apply_promotion(ctx: ClientContext, promotion: Promotion) -> int:
    """Write a prepared promotion into its target as one batch (confirmed by the caller); a key
    rotated since the target was read is no conflict (`conflicts.write_scoped_changes`)."""
    changes = _changes_by_service(promotion.plan)
    return len(write_service_changes(ctx, promotion.opened, changes, confirmed=True))
