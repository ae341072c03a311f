"""`envkeep set|get|unset|list|import` (`export`: cli/export_cmd.py, `edit`: cli/edit_cmd.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    EnvOpt,
    JsonOpt,
    NoValidateOpt,
    RevealOpt,
    ServiceOpt,
    YesOpt,
)
from envkeep.cli.state import WriteScope, confirming, interactive, make_context
from envkeep.client import assignments, resolving, variables
from envkeep.client.listing import list_variables
from envkeep.client.resolution import personal_note, where_flags
from envkeep.client.shadowed_shared import shadow_notes
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.broken_references import Unresolved
    from envkeep.client.listing import Listing
    from envkeep.client.opened_secrets import Variable
    from envkeep.settings import Settings


def set_(
    pairs: Annotated[
        list[str],
        typer.Argument(
            help="NAME=value pairs, or one NAME (its value from stdin).", metavar="NAME=VALUE..."
        ),
    ],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
) -> None:
    """Set variables (one new version each, all or nothing). One NAME alone reads its value
    from stdin, or asks for it on a terminal: a secret stays out of the shell's history (one
    line break at its end is dropped, as `echo` adds one; a file that must end in one, add a
    second: { cat key.pem; echo; } | envkeep set TLS_KEY). An empty value (NAME=) goes last:
    an argument after one is refused, as it may be its value cut off by a space. Each
    value is checked against the schema of every service that will see it, and so is each
    declared value that refers to it. A value whose ${...} will not resolve is written, with a
    warning saying where and why; one that would be part of a reference cycle is refused
    (exit 3).

    Example: envkeep set DATABASE_URL=postgres://db/shop LOG_LEVEL=info --env dev
    """
    at = WriteScope.of(env, service)
    values = assignments.parse_assignments(
        pairs, lambda name: _value_of(at.ctx.settings, name), service=at.service
    )
    done = confirming(
        at.ctx.settings,
        yes,
        lambda ok: variables.set_variables(
            at.ctx, at.env, at.service, values, confirmed=ok, check=not no_validate
        ),
        where=at.words,
    )
    left = len(values) - done.count
    same = f"; {left} unchanged (the value it has)" if left else ""
    output.done(f"set {output.counted(done.count, 'variable')} in {at.words}{same}")
    for note in shadow_notes(at.env, done.shadowed):
        output.done(note)
    warn_unresolved(done.unresolved)
    for typo in done.typos:
        output.done(typo)
    if done.unchecked is not None:  # --no-validate: written, but said
        output.done(
            f"warning: written without validation: {done.unchecked}; run and export refuse it"
            " until it is fixed"
        )


def warn_unresolved(found: Sequence[Unresolved], *, most: int = 10) -> None:
    """One warning for each value written that does not resolve, the first ``most`` of them."""
    for unresolved in found[:most]:
        output.done(f"warning: {unresolved.describe()}")
    if len(found) > most:
        output.done(
            f"warning: {len(found) - most} more values written do not resolve: see them"
            " with envkeep validate"
        )


def _value_of(settings: Settings, name: str) -> str:
    """A value typed at a hidden prompt, or piped in (one final newline dropped)."""
    if sys.stdin.isatty():
        if not interactive(settings):
            raise UsageError(
                f"no value for {name}", hint=f"pipe it in (… | envkeep set {name}) or give {name}=…"
            )
        import getpass

        return getpass.getpass(f"Value of {name}: ")
    try:
        text = sys.stdin.read()
    except OSError:  # no stdin to read (closed, or not readable here)
        text = ""
    if not text:  # a script that forgot its '=' must not empty a secret
        raise UsageError(
            f"no value for '{name}': stdin was empty",
            hint=f"pipe the value in (… | envkeep set {name}), or write {name}=value",
        )
    return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")


def get(
    names: Annotated[
        list[str], typer.Argument(help="Variable names.", metavar="NAME", show_default=False)
    ],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print an object of each name and its value.")
    ] = False,
    _shown: Annotated[
        bool,
        # `list`'s and `history`'s --reveal, Doppler's --plain: get prints values as they are
        typer.Option("--reveal", "--plain", hidden=True),
    ] = False,
) -> None:
    """Print resolved values alone (for scripts): one NAME's value, or several names' values
    one a line in the order given (a value holding a line break is refused there: use
    --json).

    Example: envkeep get PORT --env dev --service api
    """
    ctx = make_context()
    service = ctx.default_service(service)
    env_name = ctx.default_env(env)
    got = resolving.get_values(ctx, env_name, service, names)
    if as_json:
        output.print_json({name: value.value for name, value in zip(names, got, strict=True)})
    else:
        if len(names) > 1:
            _refuse_line_breaks(names, [value.value for value in got])
        sys.stdout.write("".join(value.value + "\n" for value in got))
    personal = [name for name, value in zip(names, got, strict=True) if value.personal]
    note = personal_note(dict.fromkeys(personal), env=env_name)
    if note is not None:  # stdout holds the values alone: the note goes to stderr
        output.done(note)


def _refuse_line_breaks(names: Sequence[str], values: Sequence[str]) -> None:
    """Refuse several values one a line when one holds a line break: its lines would read as
    the values of the names after it."""
    broken = [n for n, value in zip(names, values, strict=True) if "\n" in value or "\r" in value]
    if broken:
        raise UsageError(
            f"{broken[0]} holds a line break: one value a line would split it",
            hint=f"use --json for an object of each name and its value, or get {broken[0]} alone",
        )


def unset(
    names: Annotated[list[str], typer.Argument(help="Variable names.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
) -> None:
    """Delete variables (history keeps their versions). Refused when a service's schema
    requires one and nothing else gives it a value, or when a value it hid would then be part
    of a reference cycle (exit 3); a warning names each ${...} reference elsewhere that no
    longer resolves.

    Example: envkeep unset LOG_LEVEL --env dev
    """
    at = WriteScope.of(env, service)
    done = confirming(
        at.ctx.settings,
        yes,
        lambda ok: variables.unset_variables(
            at.ctx, at.env, at.service, names, confirmed=ok, check=not no_validate
        ),
        where=at.words,
    )
    output.done(f"unset {output.counted(done.count, 'variable')} in {at.words}")
    for note in shadow_notes(at.env, done.shadowed, removed=True):
        output.done(note)
    for broken in done.broken:
        output.done(f"warning: {broken.describe()}")


def list_(
    env: EnvOpt = None,
    service: ServiceOpt = None,
    reveal: RevealOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """List variables: names, scope, version; values masked unless --reveal.

    Example: envkeep list --env dev --service api --reveal
    """
    ctx = make_context()
    service = ctx.default_service(service)
    env_name = ctx.default_env(env)
    listing = list_variables(ctx, env_name, service)
    found = listing.variables
    if json_out:
        output.print_json(
            [
                {"name": v.name, "scope": v.scope, "version": v.version, "updated_at": v.updated_at}
                | {"overridden_by": listing.overridden_by(v)}
                | {"same_as_shared": listing.same_as_shared(v)}
                | ({"value": v.value} if reveal else {})
                for v in found
            ]
        )
        return
    rows = [
        (v.name, output.mask(v.value, reveal=reveal), _scope_cell(listing, v), str(v.version))
        for v in found
    ]
    empty = (
        f"no shared variables in {env_name}; a service's own are listed with --service NAME"
        if service is None
        else f"no variables in {env_name} for service {service} yet"
    )
    output.print_table(("NAME", "VALUE", "SCOPE", "VERSION"), rows, empty=empty)
    if listing.defaults_only and service is not None:
        for layer, names in listing.defaults_only.items():
            source = (
                "its schema's defaults" if layer == "schema default" else layer.replace(":", " ")
            )
            output.done(f"{service} also gets {', '.join(names)} from {source} (stored nowhere)")
        again = where_flags(ctx, env_name, service)
        output.done(f"everything {service} gets, resolved: envkeep export {again}")
    if (note := personal_note(listing.personal, env=env_name)) is not None:
        output.done(note)
    redundant = [v.name for v in found if listing.same_as_shared(v)]
    if redundant:
        output.done(_redundant_note(redundant, service, env_name))


# Names a note spells out; past it, a count and the command that lists them all.
NOTE_NAMES = 5


def _redundant_note(names: list[str], service: str | None, env: str) -> str:
    """The overrides holding the shared value, and how to remove them: a few named, with a
    count past ``NOTE_NAMES`` (an import of a whole .env can leave thousands)."""
    if len(names) <= NOTE_NAMES:
        return (
            f"{', '.join(names)}: {service} holds the shared value; remove the override with:"
            f" envkeep lift {' '.join(names)} --from - --env {env}"
        )
    shown = ", ".join(names[:NOTE_NAMES])
    return (
        f"{shown} and {len(names) - NOTE_NAMES} more: {service} holds the shared value; every"
        f" one, with the commands that remove them: envkeep lift --suggest --env {env}"
    )


def _scope_cell(listing: Listing, variable: Variable) -> str:
    """The row's scope, and the layer that wins over it when one does (as explain's ``*``)."""
    winner = listing.overridden_by(variable)
    if winner is not None:
        own = listing.own(variable.name) if winner == listing.service else None
        same = own is not None and listing.same_as_shared(own)
        return f"{variable.scope} (overridden by {winner}{', same value' if same else ''})"
    if listing.same_as_shared(variable):
        return f"{variable.scope} (overrides shared with the same value)"
    return variable.scope
