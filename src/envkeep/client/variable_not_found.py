"""The error for a variable name that a scope does not hold (`get`, `explain`, `history`,
`unset`), and what its hint says to do next: use the scope that sets it, where the service gets
it from when nothing stores it, the close name it most likely mistypes ("did you mean", among
every name the service sees: its own, the shared scope's, its templates' and its schema's
defaults), and only when nothing is close, how to set it (never after an `unset`).

All of it is read on the error's path only; a read that fails there leaves its part out (the
hint is a courtesy: the error it goes with comes first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE as SHARED
from envkeep.client.name_typos import close_names
from envkeep.client.resolution import where_flags
from envkeep.core.errors import EnvkeepError, VariableNotFound

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.resolve import Resolution


def variable_not_found(
    ctx: ClientContext,
    name: str,
    env: str,
    service: str | None,
    *,
    opened: OpenEnvironment | None = None,
    seen: Resolution | None = None,
    unsetting: bool = False,
) -> VariableNotFound:
    """The error for ``name`` missing from ``service``'s scope (None: shared) of ``env``.
    ``seen``: what the service resolves to, when the caller has it; ``opened``: a read of the
    scope, for its names should resolving fail. ``unsetting``: the command was `unset`, which
    is never told to set the name."""
    where = _scope_text(service or SHARED)
    everything = _read_all(ctx, env)
    elsewhere = _scopes_setting(everything, name, service)
    if seen is None and everything is not None:
        seen = _resolved(ctx, everything, service)
    given = None if elsewhere or service is None or seen is None else _given_by(seen, name)
    # Close names only, not the whole list: the message ends up in CI logs, and names are kept
    # encrypted at rest like the values (`envkeep list` shows them to whoever asks for them).
    close = [] if given else close_names(name, _names_seen(seen, opened, service) - {name})
    near = f" (did you mean {', '.join(close)}?)" if close else ""
    flags = where_flags(env, service)
    if elsewhere:
        shown = ", ".join(_scope_text(scope) for scope in elsewhere)
        fix = _shared_scope_flag(ctx) if elsewhere[0] == SHARED else f"use --service {elsewhere[0]}"
        hint = f"it is set in {shown}: {fix}"
    elif given is not None:  # a value the service sees, from no stored scope: nothing to act on
        hint = (
            f"{service} gets it from {given}, which is not stored (no versions); setting it"
            f" overrides that: envkeep set {name}=VALUE {flags}"
        )
    elif close:  # most likely a typo: creating the name as typed would not help
        hint = f"check the name; the names stored there: envkeep list {flags}"
    elif unsetting:  # nothing to unset: what is there, not how to create it
        hint = f"nothing to unset; the names stored there: envkeep list {flags}"
    else:
        hint = f"set it with: envkeep set {name}=VALUE {flags}"
    return VariableNotFound(f"variable '{name}' not found in {where} of '{env}'{near}", hint=hint)


def _shared_scope_flag(ctx: ClientContext) -> str:
    """How to name the shared scope from here: in a service's directory, leaving --service out
    names that service again (the directory chose it), so only ``--service -`` will do."""
    in_service_directory = ctx.has_checkout and ctx.project_file.service_at(ctx.cwd) is not None
    return "use --service -" if in_service_directory else "leave out --service"


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
    from envkeep.client.resolution import LOCAL_OVERRIDES

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
