"""Comparing two environments (`env diff`): the values stored in every scope, or the values
one service resolves to, each labelled with the layer that sets it. A name that does not
resolve is compared as stored, so one broken reference hides no drift."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.client.opening import open_all_scopes
from envkeep.client.reading import refused_as_write
from envkeep.client.write_role import refuse_unless_writable
from envkeep.core.errors import ReferenceProblem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.opened_secrets import Variable
    from envkeep.client.vault import OpenEnvironment


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
    return diff_read(ctx, source, target, writing=writing).differences


@dataclass(frozen=True)
class DiffRead:
    """What differs from one environment to another, with the read of each it compared (a
    promotion is checked and written against the target's, and names its hint from the
    source's, rather than reading thousands of values once more)."""

    differences: list[Difference]
    source: OpenEnvironment
    target: OpenEnvironment


def diff_read(ctx: ClientContext, source: str, target: str, *, writing: bool = False) -> DiffRead:
    """`diff_environments`, with the reads it compared."""
    read = open_all_scopes(ctx, source)
    left = _by_key(read.variables())
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
    return DiffRead(found, read, into)


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
