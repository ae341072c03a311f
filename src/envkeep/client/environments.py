"""Client use cases for environments: create, list, delete, edit, clone, diff, promote.

A promotion is checked as `set` checks a write (`write_checks`): against the schemas of the
target's services that will see a promoted value or a value referring to one, before anyone is
asked to confirm it. A clone is not: its values resolve in the new environment as they do in
the source, so a schema refuses nothing there that it did not already refuse.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.conflicts import write_planned
from envkeep.client.fresh_environments import fresh_environment
from envkeep.client.name_typos import did_you_mean
from envkeep.client.new_keys import NewKey, Unsealed, share_new_key
from envkeep.client.pasted_references import refuse_pasted_names
from envkeep.client.reading import read_environment, refused_as_write
from envkeep.client.vault import WriteTarget, plan_write
from envkeep.client.write_role import refuse_unless_writable
from envkeep.core.errors import (
    EnvironmentNotFound,
    EnvironmentProtected,
    ReferenceProblem,
    UsageError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.app.views import EnvironmentView
    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment, Variable


@dataclass(frozen=True)
class Created:
    """A new environment; ``unsealed``: those its roles open whom its key was not sealed to."""

    environment: EnvironmentView
    unsealed: tuple[Unsealed, ...] = ()
    copied: int = 0  # variables, for a clone


def create_environment(ctx: ClientContext, name: str) -> Created:
    """A new environment with its own data key (listed in envkeep.toml), the key sealed to
    everyone whose role opens it."""
    new = fresh_environment(ctx.identity, name)
    created = ctx.backend.create_environment(ctx.project_file.project, new.environment)
    _add_to_project_file(ctx, name)
    return Created(created, _shared(ctx, created, new.data_key))


def _shared(ctx: ClientContext, created: EnvironmentView, dek: bytes) -> tuple[Unsealed, ...]:
    """The new environment's key sealed to the others its roles open; those it was not."""
    project = ctx.project_file.project
    new = NewKey(project, created.name, created.id, created.key_version, dek)
    return share_new_key(ctx, new)


def list_environments(ctx: ClientContext) -> list[EnvironmentView]:
    """The project's environments."""
    return ctx.backend.list_environments(ctx.project_file.project)


def rotation_owed(env: EnvironmentView) -> str:
    """The warning for an environment whose current key a principal without access holds (a
    revocation by someone who could not rotate it: `EnvironmentView.former_holders`)."""
    held = (
        "principal that lost access holds"
        if env.former_holders == 1
        else ("principals that lost access hold")
    )
    return (
        f"warning: {env.former_holders} {held} the current key of {env.name}: values written"
        f" there are open to them until an admin rotates it: envkeep env rotate-key {env.name}"
    )


def check_deletable(ctx: ClientContext, name: str) -> None:
    """Refuse, before anyone is asked to confirm, what `delete_environment` would refuse: the
    default environment, one that does not exist, and a protected one (the store refuses the
    last itself too)."""
    _refuse_default(ctx, name)
    listed = list_environments(ctx)
    found = next((e for e in listed if e.name == name), None)
    if found is None:
        from envkeep.app.not_found import environment_not_found

        project = ctx.project_file.project
        raise environment_not_found(name, project, [e.name for e in listed])
    if found.protected:
        raise EnvironmentProtected.named(name)


def delete_environment(ctx: ClientContext, name: str) -> None:
    """Delete an environment and everything in it (and its name from envkeep.toml's list).
    The project's default environment is refused: every command without --env reads it."""
    _refuse_default(ctx, name)
    ctx.backend.delete_environment(ctx.project_file.project, name)
    _listed_in_project_file(ctx, lambda envs: [e for e in envs if e != name])


def _refuse_default(ctx: ClientContext, name: str) -> None:
    project = ctx.project_file
    if name == project.default_env:
        others = [e for e in project.environments if e != name]
        example = f' (e.g. default_env = "{others[0]}")' if others else ""
        raise UsageError(
            f"'{name}' is the default environment of {project.path}; nothing was deleted",
            hint=f"set default_env there to another environment first{example}",
        )


def edit_environment(
    ctx: ClientContext,
    name: str,
    *,
    rename: str | None = None,
    description: str | None = None,
    protected: bool | None = None,
) -> EnvironmentView:
    """Rename, describe or (un)protect an environment."""
    if rename is None and description is None and protected is None:
        raise UsageError(
            "nothing to change",
            hint="pass --rename NEW, --description TEXT, --protect or --unprotect",
        )
    updated = ctx.backend.update_environment(
        ctx.project_file.project,
        name,
        rename=rename,
        description=description,
        protected=protected,
    )
    if rename is not None and rename != name:
        _rename_in_project_file(ctx, name, rename)
    return updated


def _rename_in_project_file(ctx: ClientContext, old: str, new: str) -> None:
    """Keep envkeep.toml's default_env and environments list pointing at the renamed one."""
    _listed_in_project_file(
        ctx,
        lambda envs: [new if e == old else e for e in envs],
        default_env=new if ctx.project_file.default_env == old else None,
    )


def _add_to_project_file(ctx: ClientContext, name: str) -> None:
    """List a new environment in envkeep.toml (once)."""
    _listed_in_project_file(ctx, lambda envs: envs if name in envs else [*envs, name])


def _listed_in_project_file(
    ctx: ClientContext,
    edit: Callable[[list[str]], list[str]],
    *,
    default_env: str | None = None,
) -> None:
    """Apply ``edit`` to envkeep.toml's environments list (a file without one keeps none),
    and set its default_env; the file is rewritten only when something changed."""
    from envkeep.core.files import write_atomic
    from envkeep.core.projectfile import with_top_setting

    project = ctx.project_file
    listed = list(project.environments)
    edited = edit(listed) if listed else listed
    if edited == listed and default_env is None:
        return
    text = project.path.read_text(encoding="utf-8")
    if default_env is not None:
        text = with_top_setting(text, "default_env", default_env)
    if edited != listed:
        text = with_top_setting(text, "environments", edited)
    write_atomic(project.path, text.encode(), mode=0o644)


def open_all_scopes(ctx: ClientContext, env: str) -> OpenEnvironment:
    """An environment with every scope read and decrypted."""
    return read_environment(ctx, env, None)


def clone_environment(ctx: ClientContext, source: str, target: str) -> Created:
    """A new environment holding a copy of every scope's values (under its own data key),
    created in one transaction, its key sealed as `create_environment` seals it."""
    try:
        variables = open_all_scopes(ctx, source).variables()
    except EnvironmentNotFound as missing:  # the source: there is nothing to create
        if missing.hint is None or not missing.hint.startswith("did you mean"):
            missing.hint = "see the environments there are: envkeep env list"
        raise
    new = fresh_environment(ctx.identity, target)
    into = WriteTarget(new.environment.id, new.data_key, new.environment.key_version)
    writes = tuple(plan_write(ctx.identity, into, v.scope_key, v.name, v.value) for v in variables)
    created = ctx.backend.create_environment(ctx.project_file.project, new.with_writes(writes))
    _add_to_project_file(ctx, target)
    return Created(created, _shared(ctx, created, new.data_key), len(writes))


@dataclass(frozen=True)
class Difference:
    """One name that differs between two environments, in one scope. For a service's diff,
    ``*_unresolved``: the name does not resolve on that side, whose value here is the one
    stored, its references not expanded."""

    scope: str
    scope_key: str
    name: str
    change: str  # "added" (only in target), "removed" (only in source), "changed"
    source_value: str | None = field(repr=False)
    target_value: str | None = field(repr=False)
    source_unresolved: bool = False
    target_unresolved: bool = False


@dataclass(frozen=True)
class NotResolved:
    """A name a service sees in ``env`` that does not resolve, and the resolver's ``reason``
    (names only, never a value)."""

    env: str
    name: str
    reason: str


@dataclass(frozen=True)
class Comparison:
    """What `env diff` shows: the ``differences``, and, for a service's diff, every name that
    does not resolve in either environment (compared as stored, so one broken reference hides
    no drift)."""

    differences: list[Difference]
    service: str | None = None
    unresolved: tuple[NotResolved, ...] = ()

    def raise_unresolved(self) -> None:
        """Raise `ReferenceProblem` naming the names that do not resolve, if any: the diff is
        complete, but what the service would see there cannot be told (`run` would fail)."""
        if not self.unresolved:
            return
        first = self.unresolved[0]
        by_env: dict[str, list[str]] = {}
        for found in self.unresolved:
            by_env.setdefault(found.env, []).append(found.name)
        names = "; ".join(f"{', '.join(listed)} in {env}" for env, listed in by_env.items())
        raise ReferenceProblem(
            f"not every value {self.service} sees resolves: {names} ({first.reason}); the diff"
            " compares them as stored",
            hint=f"see why with: envkeep validate --env {first.env} --service {self.service}",
        )


def _by_key(variables: Sequence[Variable]) -> dict[tuple[str, str], Variable]:
    return {(v.scope, v.name): v for v in variables}


def compare_environments(
    ctx: ClientContext, source: str, target: str, service: str | None = None
) -> Comparison:
    """What differs from ``source`` to ``target``: the values stored in every scope, or the
    values ``service`` resolves to (`_service_differences`)."""
    if service is not None:
        return _service_differences(ctx, source, target, service)
    return Comparison(diff_environments(ctx, source, target))


def diff_environments(
    ctx: ClientContext, source: str, target: str, *, writing: bool = False
) -> list[Difference]:
    """What differs from ``source`` to ``target`` in every scope (``writing``: for a write into
    ``target``, whose refusal to read says so, and refuses a reader of it: `write_role`)."""
    left = _by_key(open_all_scopes(ctx, source).variables())
    with refused_as_write(ctx, target) if writing else nullcontext():
        into = open_all_scopes(ctx, target)
    if writing:
        refuse_unless_writable(ctx, into)
    right = _by_key(into.variables())
    found = []
    for scope, name in sorted(left.keys() | right.keys()):
        before, after = left.get((scope, name)), right.get((scope, name))
        if before is None and after is not None:
            found.append(Difference(scope, after.scope_key, name, "added", None, after.value))
        elif after is None and before is not None:
            found.append(Difference(scope, before.scope_key, name, "removed", before.value, None))
        elif before is not None and after is not None and before.value != after.value:
            found.append(
                Difference(scope, before.scope_key, name, "changed", before.value, after.value)
            )
    return found


def _service_differences(ctx: ClientContext, source: str, target: str, service: str) -> Comparison:
    """What differs in the values ``service`` resolves to, each labelled with the layer that
    sets it (``shared``, the service's own scope, a template, ``local``, the schema's default):
    the target's layer, the source's for a name the target lacks, ``a->b`` when they differ.
    A name that does not resolve is compared by its stored value, and it differs from a value
    that does; the diff goes on."""
    from envkeep.client.validation import check_service

    checked = check_service(ctx, source, service), check_service(ctx, target, service)
    left, right = checked[0].resolution, checked[1].resolution
    found = []
    for name in sorted(left.values.keys() | right.values.keys()):
        before, after = left.values.get(name), right.values.get(name)
        broken = (name in left.errors, name in right.errors)
        if before == after and broken[0] == broken[1]:  # resolved on one side only: differs
            continue
        was = _layer_label(left.winners.get(name), service)
        now = _layer_label(right.winners.get(name), service)
        if after is None:
            scope, change = was, "removed"
        elif before is None:
            scope, change = now, "added"
        else:
            scope, change = (now if was == now else f"{was}->{now}"), "changed"
        found.append(Difference(scope, "", name, change, before, after, *broken))
    sides = {source: checked[0], target: checked[1]}  # one when they are the same environment
    unresolved = tuple(
        NotResolved(env, name, reason)
        for env, seen in sides.items()
        for name, reason in seen.reference_errors.items()
    )
    return Comparison(found, service, unresolved)


def _layer_label(layer: str | None, service: str) -> str:
    """A resolution layer's name as the diff's scope column shows it: the service's own layer
    by the service's name, as in a diff of every scope."""
    from envkeep.client.resolution import service_layer

    if layer == service_layer(service):
        return service
    return layer or "-"


def plan_promotion(
    ctx: ClientContext, source: str, target: str, names: Sequence[str] = ()
) -> list[Difference]:
    """What promoting ``source`` into ``target`` writes: names set in the source that the
    target lacks or holds with another value (nothing is deleted), limited to ``names``."""
    if source == target:
        raise UsageError(
            f"--from and --to both name '{source}'",
            hint="promote copies values between two environments: name another with --to",
        )
    refuse_pasted_names(f"promote --from {source} --to {target}", names)
    wanted = set(names)
    plan = [
        d
        for d in diff_environments(ctx, source, target, writing=True)
        if d.source_value is not None and (not wanted or d.name in wanted)
    ]
    known = _names_in(ctx, source)
    missing = wanted - {d.name for d in plan} - known
    if missing:
        said = [f"{name}{did_you_mean(name, known)}" for name in sorted(missing)]
        raise UsageError(
            f"not set in '{source}': {', '.join(said)}",
            hint=f"see what is there with: envkeep list --env {source}",
        )
    return plan


def _names_in(ctx: ClientContext, env: str) -> set[str]:
    return {v.name for v in open_all_scopes(ctx, env).variables()}


@dataclass(frozen=True)
class Promotion:
    """A promotion plan with the read of its target environment it was checked against; it is
    written against that read's versions (a value changed since is a conflict).
    ``unresolved``: the promoted values that will not resolve in the target (a warning);
    ``also``: the names they refer to that the target lacks and the source sets, to promote
    too."""

    opened: OpenEnvironment
    plan: tuple[Difference, ...]
    unresolved: tuple[Unresolved, ...] = ()
    also: tuple[str, ...] = ()


def prepare_promotion(
    ctx: ClientContext,
    source: str,
    target: str,
    plan: Sequence[Difference],
    *,
    check: bool = True,
) -> Promotion:
    """``plan`` against one read of ``target`` (every scope), ready for `apply_promotion`.
    ``check``: refused (SchemaViolation, nothing written) when a schema of a service that will
    see a promoted value, or a value referring to one, refuses it there (`write_checks`). Called
    before the confirmation: no one is asked for a write that would be refused, nor, unwarned,
    for values that will not resolve there (their references named, as `set` names them)."""
    from envkeep.client.broken_references import unresolved_by_writes
    from envkeep.client.write_checks import refuse_violations_across, schemas_to_check

    opened = open_all_scopes(ctx, target)
    refuse_unless_writable(ctx, opened)  # the role now held, before what is written
    schemas = schemas_to_check(ctx) if check else {}
    changes = _changes_by_scope(plan)
    refuse_violations_across(ctx, opened, changes, schemas)
    unresolved = tuple(unresolved_by_writes(ctx, opened, changes))
    wanted = {name for found in unresolved for name in found.missing} - {d.name for d in plan}
    also = tuple(sorted(wanted & _names_in(ctx, source))) if wanted else ()
    return Promotion(opened, tuple(plan), unresolved, also)


def _changes_by_scope(plan: Sequence[Difference]) -> dict[str | None, dict[str, str | None]]:
    changes: dict[str | None, dict[str, str | None]] = {}
    for d in plan:
        scope = None if d.scope_key == SHARED_SCOPE else d.scope
        changes.setdefault(scope, {})[d.name] = d.source_value
    return changes


def apply_promotion(ctx: ClientContext, promotion: Promotion) -> int:
    """Write a prepared promotion into its target as one batch (confirmed by the caller)."""
    if not promotion.plan:
        return 0
    opened = promotion.opened
    into = WriteTarget(opened.snapshot.environment.id, opened.dek, opened.key_version)
    writes = [
        plan_write(
            ctx.identity,
            into,
            d.scope_key,
            d.name,
            d.source_value,
            existing=opened.find_writable(d.scope_key, d.name),
        )
        for d in promotion.plan
    ]
    write_planned(ctx, opened, writes, confirmed=True)
    return len(writes)
