"""The error for a variable name that a scope does not hold (`get`, `explain`, `history`,
`unset`, `rollback`), and what its hint says to do next: use the scope that sets it, where the
service gets it from when nothing stores it, the close name it most likely mistypes ("did you
mean", among every name the service sees: its own, the shared scope's, its templates' and its
schema's defaults), and only when nothing is close, how to set it (never after an `unset`).
A reference given for the name (``${PORT}``, `pasted_references`) is a usage error saying so,
its hint the command with the name alone.

All of it is read on the error's path only; a read that fails there leaves its part out (the
hint is a courtesy: the error it goes with comes first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE as SHARED
from envkeep.client.pasted_references import pasted_reference, takes_a_name
from envkeep.client.resolution import where_flags
from envkeep.client.write_role import reads_only
from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.errors import EnvkeepError, UsageError, VariableNotFound
from envkeep.core.near_names import suggestions

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.references import Reference
    from envkeep.core.resolve import Resolution


def variable_not_found(
    ctx: ClientContext,
    name: str,
    env: str,
    service: str | None,
    *,
    opened: OpenEnvironment | None = None,
    seen: Resolution | None = None,
    command: str = "get",
    present: Callable[[str], bool] | None = None,
) -> EnvkeepError:
    """The error for ``name`` missing from ``service``'s scope (None: shared) of ``env``.
    ``seen``: what the service resolves to, when the caller has it; ``opened``: a read of the
    scope, for its names should resolving fail. ``command``: the command that looked the name
    up (`unset` is never told to set it), with its arguments after the name if any
    (``rollback --to 3``). ``present``: whether the command would find a name, for a reference
    given as the name (`pasted_references`): the refusal then names the name alone."""
    everything = _read_all(ctx, env)
    if seen is None and everything is not None:
        seen = _resolved(ctx, everything, service)

    def missing(name: str) -> _Missing:
        return _missing(everything, seen, opened, name, service)

    pasted = _pasted(everything, name)
    if pasted is None:
        return _not_found(ctx, name, env, service, missing(name), command=command)
    return _reference_as_name(
        ctx, name, pasted, env, service, command=command, present=present, missing=missing
    )


def _not_found(
    ctx: ClientContext, name: str, env: str, service: str | None, missing: _Missing, *, command: str
) -> VariableNotFound:
    flags = where_flags(ctx, env, service)
    if missing.elsewhere:
        shown = _scopes_named(missing.elsewhere)
        first = missing.elsewhere[0]
        fix = _shared_scope_flag(ctx) if first == SHARED else f"use --service {first}"
        hint = f"it is set in {shown}: {fix}"
    elif missing.given is not None:  # a value the service sees, from no stored scope
        hint = f"{service} gets it from {missing.given}, which is not stored (no versions)"
        hint += (
            _WRITE_ROLE
            if missing.reads_only
            else f"; setting it overrides that: envkeep set {name}=VALUE {flags}"
        )
    elif missing.deleted is not None:  # unset earlier: its versions are kept
        return _deleted(name, env, service, missing, flags, command=command)
    elif missing.close:  # most likely a typo: creating the name as typed would not help
        hint = f"check the name; the names stored there: envkeep list {flags}"
    elif command == "unset":  # nothing to unset: what is there, not how to create it
        hint = f"nothing to unset; the names stored there: envkeep list {flags}"
    elif missing.reads_only:  # a reader is not told to write what it may not
        hint = f"the names stored there: envkeep list {flags}{_WRITE_ROLE}"
    else:
        hint = f"set it with: envkeep set {name}=VALUE {flags}"
    near = did_you_mean_aside(missing.close, quoted=False)
    where = _scope_text(service or SHARED)
    if _read_kept_copy(ctx):
        hint = f"the server is out of reach, and the copy kept here may predate it; {hint}"
    return VariableNotFound(f"variable '{name}' not found in {where} of '{env}'{near}", hint=hint)


NAMED_SCOPES = 3  # of the scopes that set a missing name, the hint names this many


def _scopes_named(scopes: list[str]) -> str:
    """The scopes that set the name, the first `NAMED_SCOPES` by name: a name set in each of
    150 services made a hint of 150 names, the command to run at its very end."""
    named = ", ".join(_scope_text(scope) for scope in scopes[:NAMED_SCOPES])
    left = len(scopes) - NAMED_SCOPES
    return f"{named} and {left:,} more" if left > 0 else named


def _read_kept_copy(ctx: ClientContext) -> bool:
    """Whether this command read a copy kept offline (which holds no name set since)."""
    from envkeep.client.http import HttpBackend

    backend = ctx.backend
    return isinstance(backend, HttpBackend) and backend.read_kept_copy


# What a reader is told instead of a write (`write_role.reads_only`): a token or member who may
# only read there was told "set it with: envkeep set …", which the server refuses.
_WRITE_ROLE = " (setting it takes the write role there; you have read)"


def _deleted(
    name: str, env: str, service: str | None, missing: _Missing, flags: str, *, command: str
) -> VariableNotFound:
    """The error for a name its scope deleted (its last version is the deletion): when, and the
    way back (for a reader, its versions only), rather than a close name or how to create it."""
    where = _scope_text(service or SHARED)
    version = missing.deleted
    if command == "unset":
        hint = f"nothing to unset; its versions: envkeep history {name} {flags}"
    elif missing.reads_only:
        hint = f"its versions: envkeep history {name} {flags}{_WRITE_ROLE}"
    else:
        # Not `--to {version - 1}`: a key rotation since adds a deletion of its own.
        hint = (
            f"its versions: envkeep history {name} {flags}; bring one back with:"
            f" envkeep rollback {name} --to N {flags}"
        )
    return VariableNotFound(
        f"variable '{name}' was deleted from {where} of '{env}' (version {version})", hint=hint
    )


_READS = frozenset({"get", "explain", "history"})


@dataclass(frozen=True)
class _Missing:
    """What is known of a name a scope does not hold: the other scopes that set it, where the
    service gets it from when no stored scope does, and the close names it may mistype."""

    elsewhere: list[str]
    given: str | None
    close: list[str]
    deleted: int | None = None  # the version that deleted it from the scope asked about
    reads_only: bool = False  # the caller's role there is below write (`write_role.reads_only`)


def _missing(
    everything: OpenEnvironment | None,
    seen: Resolution | None,
    opened: OpenEnvironment | None,
    name: str,
    service: str | None,
) -> _Missing:
    elsewhere = _scopes_setting(everything, name, service)
    given = None if elsewhere or service is None or seen is None else _given_by(seen, name)
    # Close names only, not the whole list: the message ends up in CI logs, and names are kept
    # encrypted at rest like the values (`envkeep list` shows them to whoever asks for them).
    deleted = None if elsewhere or given else _deleted_in(everything or opened, name, service)
    reader = reads_only(everything or opened)
    if deleted is not None:
        return _Missing(elsewhere, given, [], deleted, reader)
    close = [] if given else suggestions(name, _names_seen(seen, opened, service) - {name})
    return _Missing(elsewhere, given, close, reads_only=reader)


def _deleted_in(opened: OpenEnvironment | None, name: str, service: str | None) -> int | None:
    """The version that deleted ``name`` from ``service``'s scope (None: shared), or None when
    the scope never held it or holds it now."""
    if opened is None:
        return None
    scope = opened.scope_for(service)
    kept = opened.find_any(scope, name)
    return kept[1] if kept is not None and opened.find(scope, name) is None else None


def _pasted(everything: OpenEnvironment | None, name: str) -> Reference | None:
    services = [] if everything is None else [s.name for s in everything.snapshot.services]
    return pasted_reference(name, services)


def _reference_as_name(
    ctx: ClientContext,
    given: str,
    pasted: Reference,
    env: str,
    service: str | None,
    *,
    command: str,
    present: Callable[[str], bool] | None,
    missing: Callable[[str], _Missing],
) -> UsageError:
    """The refusal of a reference given as a name: the command again with the name alone, or,
    when that name is missing too, why (and for a read, the close name's command: a write of
    a guessed name is not handed out)."""
    verb, _, rest = command.partition(" ")
    said = takes_a_name(verb, given)
    bare, there = pasted.name, pasted.service or service
    again = f"envkeep {verb} {{}}{f' {rest}' if rest else ''} {where_flags(ctx, env, there)}"
    if there != service or present is None or present(bare):  # another service's: it says
        return UsageError(said, hint=again.format(bare))
    found = missing(bare)
    error = _not_found(ctx, bare, env, service, found, command=command)
    hint = again.format(found.close[0]) if found.close and verb in _READS else error.hint
    return UsageError(f"{said}, and {error}", hint=hint)


def _shared_scope_flag(ctx: ClientContext) -> str:
    """How to name the shared scope from here: in a service's directory, leaving --service out
    names that service again (the directory chose it), so only ``--service -`` will do."""
    return "use --service -" if ctx.directory_service is not None else "leave out --service"


def _read_all(ctx: ClientContext, env: str) -> OpenEnvironment | None:
    """The whole environment (every scope), or None when this caller cannot read it."""
    from envkeep.client.reading import read_environment

    try:
        return read_environment(ctx, env)
    except EnvkeepError:
        return None


def _resolved(
    ctx: ClientContext, everything: OpenEnvironment, service: str | None
) -> Resolution | None:
    from envkeep.client.resolution import arrange, resolve_in

    try:
        return resolve_in(arrange(ctx, everything), service)
    except EnvkeepError:  # a broken schema or template: the scope's names are left
        return None


def _names_seen(
    seen: Resolution | None, opened: OpenEnvironment | None, service: str | None
) -> set[str]:
    """Every name the service sees (its scope's, the shared scope's, its templates' and its
    schema's defaults), else the names its scope stores."""
    if seen is not None:
        return set(seen.values)
    if opened is None:
        return set()
    return {v.name for v in opened.variables(opened.scope_for(service))}


def _given_by(seen: Resolution, name: str) -> str | None:
    """Where a service gets ``name`` from when no stored scope sets it: its schema's default, a
    template or this machine's local.env; None when it does not get it."""
    layer = seen.winners.get(name)
    if layer is None:
        return None
    if layer.startswith("template:"):
        return f"template '{layer.partition(':')[2]}'"
    from envkeep.client.personal_overrides import LOCAL_OVERRIDES

    words = {"schema default": "its schema's default", "local": f"this machine's {LOCAL_OVERRIDES}"}
    return words.get(layer)


def _scope_text(scope: str) -> str:
    return "the shared scope" if scope == SHARED else f"service '{scope}'"


def _scopes_setting(
    everything: OpenEnvironment | None, name: str, service: str | None
) -> list[str]:
    """The other scopes that set ``name`` (the shared scope first, then services by name)."""
    if everything is None:
        return []
    found = everything.variables()
    return [v.scope for v in found if v.name == name and v.scope != (service or SHARED)]
