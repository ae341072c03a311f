"""Client use cases for variables: set, unset, list, get, resolve, history, rollback.

Writes are checked against the schemas of the services that will see them, the values that
refer to a written name included (`write_checks`, unless ``check=False``); an unset reports the
references it leaves dangling (`broken_references`).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.client.conflicts import write_planned
from envkeep.client.history import HistoryEntry, read_history
from envkeep.client.reading import read_environment, refused_as_write
from envkeep.client.resolution import where_flags
from envkeep.client.variable_not_found import variable_not_found
from envkeep.client.write_checks import refuse_violations, schemas_to_check
from envkeep.client.write_role import refuse_unless_writable
from envkeep.core.errors import (
    ConflictError,
    PermissionDenied,
    ReferenceProblem,
    UsageError,
    VersionNotFound,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from envkeep.client.broken_references import BrokenReference, Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.resolve import Resolution
    from envkeep.core.schema import Schema


def _services(service: str | None) -> list[str]:
    return [] if service is None else [service]


def open_environment(ctx: ClientContext, env: str, service: str | None) -> OpenEnvironment:
    """Read and decrypt the shared scope and, if given, one service's scope."""
    return read_environment(ctx, env, _services(service))


def open_for_write(
    ctx: ClientContext,
    env: str,
    service: str | None,
    *,
    every_scope: bool,
    refuse_readers: bool = True,
) -> OpenEnvironment:
    """`open_environment`, or with ``every_scope`` the whole environment (what a write's
    checks need: who else sees a value, what its references expand to), ``service`` checked
    to exist as the narrow read checks it. A refusal to read is worded as the write's, and
    a reader is refused the write now, before any check of what it writes (`write_role`;
    ``refuse_readers`` False: the caller does that itself)."""
    with refused_as_write(ctx, env):
        opened = read_environment(ctx, env) if every_scope else open_environment(ctx, env, service)
    if refuse_readers:
        refuse_unless_writable(ctx, opened)
    if not every_scope:
        return opened
    known = [s.name for s in opened.snapshot.services]
    if service is not None and service not in known:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(service, ctx.project_file.project, known)
    return opened


def parse_assignments(
    pairs: list[str],
    read_value: Callable[[str], str] | None = None,
    *,
    service: str | None = None,
) -> dict[str, str]:
    """``NAME=value`` arguments as a mapping; a bad one is a usage error naming it. A single
    ``NAME`` alone takes its value from ``read_value`` (stdin or a hidden prompt), so that a
    secret never stands in the command line or the shell's history. Their references are
    checked by `set_variables` (`check_references`), once the caller's role is known."""
    values: dict[str, str] = {}
    if len(pairs) == 1 and "=" not in pairs[0] and read_value is not None:
        check_name(pairs[0])
        pairs = [f"{pairs[0]}={read_value(pairs[0])}"]
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(
                f"'{name}' has no '='",
                hint="write NAME=value, e.g. PORT=8080 (or one NAME alone: its value is read"
                " from stdin, or asked for on a terminal)",
            )
        check_name(name)
        if name in values:
            raise UsageError(f"{name} is given twice", hint="give each name once")
        check_storable(name, value)
        values[name] = value
    if not values:
        raise UsageError("nothing to set", hint="envkeep set NAME=value [NAME=value …]")
    return values


def check_storable(name: str, value: str) -> None:
    """Refuse a value no environment variable can hold: a NUL character, or bytes that are not
    UTF-8 text (the shell passes them on, and Python reads them as lone surrogates)."""
    if "\0" in value:
        raise UsageError(
            f"the value of {name} contains a NUL character, which no environment variable can hold",
            hint="base64 a binary value (base64 -w0 FILE), and decode it where it is used",
        )
    try:
        value.encode()
    except UnicodeEncodeError:
        raise UsageError(
            f"the value of {name} is not UTF-8 text",
            hint="convert it (iconv -f latin1 -t utf-8), or base64 a binary value",
        ) from None


def check_references(name: str, value: str, service: str | None = None) -> None:
    """Refuse a value whose ``${...}`` cannot be a reference as written, or that refers to its
    own name (``${NAME}``, or ``${svc.NAME}`` written to ``service`` svc's scope), before it is
    stored (resolving it would fail for every service that reads it): ReferenceProblem, exit 3,
    as for a broken reference anywhere (a cycle through other values: `refuse_cycles`)."""
    from envkeep.core.references import NESTED_FALLBACK, find_references, syntax_problem

    check_storable(name, value)
    problem = syntax_problem(value)
    if problem == NESTED_FALLBACK:  # `${A:-${B}}`, as a shell takes it: not envkeep's
        raise ReferenceProblem(
            f"the value of {name} has {problem} (${{A:-${{B}}}}): a fallback is text only"
            " and cannot hold another reference",
            hint="write B's value itself as the fallback (${A:-text}), or set A=${B} in the"
            " shared scope, which a service's own A overrides",
        )
    if problem is not None:
        raise ReferenceProblem(
            f"the value of {name} has {problem}",
            hint="refer with ${NAME} or ${service.NAME} (with a fallback: ${NAME:-text}); write"
            " '$${' for a literal '${'",
        )
    itself = {name} if service is None else {name, f"{service}.{name}"}
    found = [str(r) for r in find_references(value) if str(r) in itself]
    if found:  # a cycle whatever the other values
        raise ReferenceProblem(
            f"the value of {name} refers to itself (${{{found[0]}}}), so it could never resolve",
            hint="a value cannot extend another layer's value of the same name: write the whole"
            " value, or refer to another name",
        )


def check_name(name: str) -> None:
    """Variable names follow the dotenv rules; a reference is refused as such (``${PORT}``)."""
    from envkeep.client.pasted_references import refuse_pasted_names
    from envkeep.core.dotenv import is_valid_name

    refuse_pasted_names("set", [name], form="{}=VALUE")
    if not is_valid_name(name):
        raise UsageError(
            f"'{name}' is not a valid variable name",
            hint="start with a letter or '_', then letters, digits, '_', '.' or '-'",
        )


@dataclass(frozen=True)
class Written:
    """What a set did: how many variables, and the values written that do not resolve."""

    count: int
    unresolved: tuple[Unresolved, ...]
    typos: tuple[str, ...] = ()  # warnings: a new name very like one a schema declares


def set_variables(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    confirmed: bool = False,
    check: bool = True,
) -> Written:
    """Write new versions of ``values`` in one scope, all or nothing; say how many, and which
    written values will not resolve (a warning: what they refer to may be set next). A name
    already holding its value gets no new version (history stays what changed). ``check``
    refuses the batch when a schema refuses a value (`write_checks`).

    A set is blind (the caller read nothing it writes over): when another write moved a name on
    meanwhile, the batch is read, checked and planned again, last writer winning, as parallel
    jobs setting one name expect; only after ``SET_ATTEMPTS`` such races is it a conflict."""
    from envkeep.client.conflicts import Stale

    schemas = _schemas(ctx, check=check)
    once = functools.partial(
        _set_once, ctx, env, service, values, schemas=schemas, confirmed=confirmed
    )
    for _lost in range(SET_ATTEMPTS - 1):
        with contextlib.suppress(Stale):
            return once(retry=True)
    return once(retry=False)  # the last attempt's conflict is raised, explained


SET_ATTEMPTS = 8  # each lost race is a distinct write of another: 8 racers all land


def _set_once(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    schemas: dict[str, Schema],
    confirmed: bool,
    retry: bool,
) -> Written:
    from envkeep.client.broken_references import unresolved_by_set
    from envkeep.client.name_typos import near_misses

    refers = any("${" in value for value in values.values())
    opened = open_for_write(ctx, env, service, every_scope=bool(schemas) or refers)
    for name, value in values.items():  # after the role: a reader is told that first
        check_references(name, value, service)
    scope = opened.scope_for(service)
    current = {v.name: v.value for v in opened.variables(scope)}
    changed = {name: value for name, value in values.items() if current.get(name) != value}
    if not changed:
        return Written(0, ())
    refuse_violations(ctx, opened, service, changed, schemas)
    unresolved = unresolved_by_set(ctx, opened, service, changed)
    writes = opened.plan_writes(scope, changed)
    write_planned(ctx, opened, writes, confirmed=confirmed, retry=retry)
    new = [name for name in changed if name not in current]
    return Written(len(writes), tuple(unresolved), tuple(near_misses(schemas, service, new)))


def _schemas(ctx: ClientContext, *, check: bool) -> dict[str, Schema]:
    return schemas_to_check(ctx) if check else {}


@dataclass(frozen=True)
class Unset:
    """What an unset did: how many variables, and the references it left dangling."""

    count: int
    broken: tuple[BrokenReference, ...]


def unset_variables(
    ctx: ClientContext,
    env: str,
    service: str | None,
    names: list[str],
    *,
    confirmed: bool = False,
    check: bool = True,
) -> Unset:
    """Delete variables in one scope (a tombstone version each), all or nothing; name the
    references elsewhere that no longer resolve (read from the same, whole environment).
    ``check`` refuses it when a service's schema requires a name it removes (`write_checks`)."""
    from envkeep.client.broken_references import broken_by_unset

    schemas = _schemas(ctx, check=check)
    opened = open_for_write(ctx, env, service, every_scope=True)
    scope = opened.scope_for(service)
    missing = [n for n in names if opened.find(scope, n) is None]
    if missing:
        raise variable_not_found(
            ctx,
            missing[0],
            env,
            service,
            opened=opened,
            command="unset",
            present=lambda name: opened.find(scope, name) is not None,
        )
    refuse_violations(ctx, opened, service, dict.fromkeys(names), schemas)
    broken = broken_by_unset(ctx, opened, service, names)
    writes = opened.plan_writes(scope, dict.fromkeys(names))
    write_planned(ctx, opened, writes, confirmed=confirmed)
    return Unset(len(writes), tuple(broken))


def resolved_values(
    ctx: ClientContext, env: str, service: str | None, *, validate: bool = False
) -> dict[str, str]:
    """What the service (or, for None, the shared scope) sees: templates, shared scope,
    service scope, local overrides, references expanded. ``validate`` refuses (exit 3) on
    schema errors; reference errors always raise."""
    return resolved(ctx, env, service, validate=validate).values


def resolved(
    ctx: ClientContext, env: str, service: str | None, *, validate: bool = False
) -> Resolution:
    """``resolved_values`` with where each value came from (`Resolution`)."""
    from envkeep.client.validation import check_service, refuse_on_errors

    checked = check_service(ctx, env, service)
    if validate:
        refuse_on_errors([checked], env)
    checked.raise_unresolved()
    return checked.resolution


@dataclass(frozen=True)
class GotValue:
    """One resolved value, and whether this machine's ``.envkeep/local.env`` gave it (a
    personal override: the team's value is another)."""

    value: str = field(repr=False)
    personal: bool


def get_value(ctx: ClientContext, env: str, service: str | None, name: str) -> GotValue:
    """One resolved value; a broken reference elsewhere in the environment does not matter."""
    from envkeep.client.validation import check_service

    checked = check_service(ctx, env, service)
    resolution = checked.resolution
    if name not in resolution.values:
        raise variable_not_found(
            ctx, name, env, service, seen=resolution, present=resolution.values.__contains__
        )
    checked.raise_unresolved(name)
    return GotValue(resolution.values[name], name in resolution.set_by({"local"}))


def history(
    ctx: ClientContext, env: str, service: str | None, name: str, *, command: str = "history"
) -> list[HistoryEntry]:
    """Every version of a variable in one scope, oldest first (`client/history.py`).
    ``command``: the command that asked (`variable_not_found`)."""
    return history_in(ctx, open_environment(ctx, env, service), service, name, command=command)


def history_in(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    name: str,
    *,
    command: str = "history",
) -> list[HistoryEntry]:
    """`history` of a variable of ``opened`` (read with ``service``'s scope)."""
    env = opened.snapshot.environment.name
    scope = opened.scope_for(service)
    found = opened.find_any(scope, name)
    if found is None:
        raise variable_not_found(
            ctx,
            name,
            env,
            service,
            opened=opened,
            command=command,
            present=lambda name: opened.find_any(scope, name) is not None,
        )
    return read_history(ctx, opened, env, found[0])


def rollback(
    ctx: ClientContext,
    env: str,
    service: str | None,
    name: str,
    to: int,
    *,
    confirmed: bool = False,
    check: bool = True,
) -> RolledBack:
    """Write a new version holding version ``to``'s value, unless the variable holds it now
    (as `set` writes no version for a value unchanged). ``check``: refused when a schema
    refuses that value now (`write_checks`). Its references are checked as `set` checks them:
    refused when it would be part of a reference cycle, told when they do not resolve."""
    from envkeep.client.broken_references import unresolved_by_set

    read = open_for_write(ctx, env, service, every_scope=False)  # a reader is refused here
    entries = history_in(ctx, read, service, name, command=f"rollback --to {to}")
    target = next((e for e in entries if e.version == to), None)
    if target is None:
        raise VersionNotFound(
            f"'{name}' has no version {to} (versions 1-{entries[-1].version})",
            hint=f"see them with: envkeep history {name} {where_flags(ctx, env, service)}",
        )
    if target.sealed:
        raise PermissionDenied(
            f"version {to} of '{name}' is {target.note}",
            hint="an admin who holds that key can roll it back; or set the value anew",
        )
    if target.value is None:
        raise UsageError(
            f"version {to} of '{name}' is a deletion",
            hint=f"to delete it again: envkeep unset {name} {where_flags(ctx, env, service)}",
        )
    latest = entries[-1]
    if latest.value == target.value and not latest.sealed:
        return RolledBack(latest.version, written=False)
    schemas = _schemas(ctx, check=check)
    refers = "${" in target.value
    opened = open_for_write(ctx, env, service, every_scope=bool(schemas) or refers)
    refuse_violations(ctx, opened, service, {name: target.value}, schemas)
    unresolved = unresolved_by_set(ctx, opened, service, {name: target.value})
    writes = opened.plan_writes(opened.scope_for(service), {name: target.value})
    write_planned(ctx, opened, writes, confirmed=confirmed)
    return RolledBack(writes[0].version, written=True, unresolved=tuple(unresolved))


@dataclass(frozen=True)
class RolledBack:
    """What a rollback left: the variable's version now, whether the rollback wrote it, and
    whether the value it wrote does not resolve (`Unresolved`: a warning, as for `set`)."""

    version: int
    written: bool
    unresolved: tuple[Unresolved, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file into one scope would do."""

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]  # changed in the file, kept in the store (--on-conflict skip)
    unresolved: tuple[Unresolved, ...] = ()  # written values that do not resolve


def import_values(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    on_conflict: str = "fail",
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
    check: bool = True,
) -> ImportPlan:
    """Write a file's values into one scope as one batch. A name already set to another value
    is a conflict: ``fail`` (default) writes nothing, ``skip`` keeps the stored value,
    ``overwrite`` replaces it. ``check``: the batch is refused when a schema refuses a value
    it writes (`write_checks`)."""
    if on_conflict not in {"fail", "skip", "overwrite"}:
        raise UsageError(
            f"unknown --on-conflict '{on_conflict}'", hint="use skip, overwrite or fail"
        )
    from envkeep.client.broken_references import unresolved_by_set

    for name, value in values.items():
        check_storable(name, value)
    schemas = _schemas(ctx, check=check)
    refers = any("${" in value for value in values.values())
    opened = open_for_write(ctx, env, service, every_scope=bool(schemas) or refers)
    for name, value in values.items():  # after the role: a reader is told that first
        check_references(name, value, service)
    scope = opened.scope_for(service)
    current = {v.name: v.value for v in opened.variables(scope)}
    new = [n for n in values if n not in current]
    unchanged = [n for n in values if n in current and current[n] == values[n]]
    conflicts = [n for n in values if n in current and current[n] != values[n]]
    if conflicts and on_conflict == "fail":
        shown = ", ".join(conflicts[:5]) + (" …" if len(conflicts) > 5 else "")
        raise ConflictError(
            f"{len(conflicts)} already set to other values in '{env}': {shown}",
            hint="nothing was written; choose --on-conflict overwrite or skip",
        )
    changed = conflicts if on_conflict == "overwrite" else []
    written = {n: values[n] for n in [*new, *changed]}
    refuse_violations(ctx, opened, service, written, schemas)
    unresolved = unresolved_by_set(ctx, opened, service, written)
    writes = opened.plan_writes(scope, written, progress=progress)
    if writes:
        write_planned(ctx, opened, writes, confirmed=confirmed)
    skipped = conflicts if on_conflict == "skip" else []
    return ImportPlan(
        tuple(new), tuple(changed), tuple(unchanged), tuple(skipped), tuple(unresolved)
    )
