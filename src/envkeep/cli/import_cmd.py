"""`envkeep import`: files into the scopes they belong to (`client.import_scopes`), in one
batch (`client.import_batch` for several scopes), every file read and checked before anything
is written."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import (
    EnvOpt,
    NoValidateOpt,
    YesOpt,
    complete_from,
    complete_service,
)
from envkeep.cli.state import WriteScope, confirming, make_context
from envkeep.cli.variable_cmds import warn_unresolved
from envkeep.client import schemas, variables
from envkeep.client.import_batch import import_into_scopes
from envkeep.client.import_scopes import import_scopes
from envkeep.client.resolution import where_flags
from envkeep.client.shadowed_shared import shadow_notes
from envkeep.core.errors import InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.variables import ImportPlan
    from envkeep.integrations.importers import ImportResult


# One scope's part of an import: where it goes, its files, their values layered.
_Scope = tuple[WriteScope, "Sequence[Path]", dict[str, str]]


@dataclass(frozen=True)
class _Choices:
    """What the command line chose for every scope's batch."""

    fmt: str | None
    on_conflict: str
    yes: bool
    no_validate: bool
    literal: bool
    several: bool  # more than one file: each warning names its file


def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="A .env, .json or .yaml file (- for stdin); several of one scope are layered,"
            " a later file's value winning (.env, then .env.local).",
            metavar="FILE...",
        ),
    ],
    env: EnvOpt = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            "-s",
            help="Service scope for every file (default: each file's service, the one whose"
            " directory holds it; else the service whose directory you are in, else shared;"
            " - for shared).",
            autocompletion=complete_service,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="dotenv, json or yaml (default: by name; dotenv from stdin).",
            autocompletion=complete_from(("dotenv", "json", "yaml")),
        ),
    ] = None,
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="fail (write nothing), skip or overwrite.",
            autocompletion=complete_from(("fail", "skip", "overwrite")),
        ),
    ] = "fail",
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
    literal: Annotated[
        bool,
        typer.Option(
            "--literal",
            help="Take every value as plain text: a ${...} in it is no reference (for a file"
            " envkeep export wrote, whose values are resolved already).",
        ),
    ] = False,
) -> None:
    """Import variables from files, all or nothing. Without --service, a file in a
    service's directory goes to that service's scope (services/*/.env fills each service);
    the files of one scope are layered. Each value written is checked against the schemas,
    as `set` checks it.

    Example: envkeep import services/*/.env --env dev

    Example: envkeep import config.yaml --env dev --service api --on-conflict skip
    """
    if [str(f) for f in files].count("-") > 1:
        raise UsageError("stdin (-) is given twice", hint="give - once")
    ctx = make_context(writes=True)
    env_name = ctx.default_env(env)
    choices = _Choices(fmt, on_conflict, yes, no_validate, literal, len(files) > 1)
    batches = [
        (WriteScope(ctx, env_name, scope.service), scope.files, _layered(ctx, scope.files, choices))
        for scope in import_scopes(ctx, files, service)
    ]
    if len(batches) == 1:
        _import_scope(*batches[0], choices)
        return
    _import_scopes(batches, choices)


def _import_scopes(batches: Sequence[_Scope], choices: _Choices) -> None:
    """Several scopes' values in one batch (`client.import_batch`): a refusal in any of them
    writes nothing; a done line per scope."""
    first = batches[0][0]
    count = sum(len(values) for _, _, values in batches)
    with output.progress_bar(count, "encrypting") as step:
        plans = confirming(
            first.ctx.settings,
            choices.yes,
            lambda ok: import_into_scopes(
                first.ctx,
                first.env,
                [(at.service, values) for at, _, values in batches],
                on_conflict=choices.on_conflict,
                confirmed=ok,
                progress=step,
                check=not choices.no_validate,
            ),
            where=first.env,
        )
    for (at, scope_files, _), plan in zip(batches, plans, strict=True):
        _said_done(at, scope_files, plan, choices)


def _from_files(files: Sequence[Path], choices: _Choices) -> str:
    """The files a done line's scope took, where several were given: which file went where
    (a root .env run from a service's directory goes to that service, not shared)."""
    named = ("stdin" if str(file) == "-" else str(file) for file in files)
    return f" (from {', '.join(named)})" if choices.several else ""


def _layered(ctx: ClientContext, files: Sequence[Path], choices: _Choices) -> dict[str, str]:
    """The values of ``files`` layered, a later file's winning; each file checked (a schema
    file is refused) and warned of before any scope is written."""
    values: dict[str, str] = {}
    for file in files:
        if str(file) != "-":
            schemas.refuse_schema_import(ctx, file)
        values |= load_import(file, choices.fmt, literal=choices.literal, named=choices.several)
    return values


def _import_scope(
    at: WriteScope, files: Sequence[Path], values: dict[str, str], choices: _Choices
) -> None:
    """One scope's batch, its done line, and what its written values leave unresolved."""
    with output.progress_bar(len(values), "encrypting") as step:
        plan = confirming(
            at.ctx.settings,
            choices.yes,
            lambda ok: variables.import_values(
                at.ctx,
                at.env,
                at.service,
                values,
                on_conflict=choices.on_conflict,
                confirmed=ok,
                progress=step,
                check=not choices.no_validate,
            ),
            where=at.words,
        )
    _said_done(at, files, plan, choices)


def _said_done(at: WriteScope, files: Sequence[Path], plan: ImportPlan, choices: _Choices) -> None:
    """A scope's done line, and what its written values leave unresolved."""
    output.done(
        f"imported into {at.words}: {len(plan.new)} new,"
        f" {len(plan.changed)} overwritten, {len(plan.unchanged)} unchanged,"
        f" {len(plan.skipped)} skipped{_from_files(files, choices)}"
    )
    for note in shadow_notes(at.env, plan.shadowed):
        output.done(note)
    warn_unresolved(plan.unresolved)
    if plan.unresolved and not choices.literal:
        output.done(_literal_hint(at, files, plan, choices))


def _literal_hint(
    at: WriteScope, files: Sequence[Path], plan: ImportPlan, choices: _Choices
) -> str:
    """The import again as text (--literal), over what this one wrote, of every file it read."""
    again = ["--literal", "--on-conflict", "overwrite"]  # this import wrote them already
    again += [
        *(["--format", choices.fmt] if choices.fmt else []),
        *(["--yes"] if choices.yes else []),
    ]
    again += ["--no-validate"] if choices.no_validate else []
    named = shlex.join(str(file) for file in files)
    command = f"envkeep import {named} {where_flags(at.ctx, at.env, at.service)}"
    piped = "… | " if "-" in (str(file) for file in files) else ""
    kept = ""
    if plan.skipped:  # overwrite would take those too: said, not done behind their back
        names = ", ".join(sorted(plan.skipped))
        kept = f" (it overwrites the names this import skipped too: {names})"
    return (
        "hint: if the file's ${...} are text, not references (a file envkeep export"
        f" wrote, say), import it again as text: {piped}{command} {shlex.join(again)}{kept}"
    )


def load_import(
    file: Path, fmt: str | None, *, literal: bool = False, named: bool = False
) -> dict[str, str]:
    """A file's values (``-``: stdin's, dotenv unless ``fmt`` says), its size checked before
    it is read whole; ``literal``: see `importers.parse_import`; ``named``: each warning
    starts with the file's name (one of several read)."""
    from envkeep.core.file_source import StandardInput
    from envkeep.integrations.importers import MAX_IMPORT_BYTES, detect_format, parse_import

    if str(file) == "-":
        data = sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)  # parse_import refuses one over
        source = StandardInput()  # its bytes read here, bounded: parse_import decodes them
        parsed = parse_import(data, fmt=fmt or "dotenv", source=source, literal=literal)
        return _parsed(parsed, "stdin" if named else None)
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise UsageError(f"{file} not found") from None
    if size > MAX_IMPORT_BYTES:
        raise InputError(
            f"{file} is {size / 1e6:.1f} MB; imports are limited to {MAX_IMPORT_BYTES // 2**20} MB",
            hint="split it into smaller files",
        )
    detected = fmt or detect_format(file.name)
    parsed = parse_import(file.read_bytes(), fmt=detected, source=file, literal=literal)
    return _parsed(parsed, str(file) if named else None)


def _parsed(result: ImportResult, source: str | None) -> dict[str, str]:
    where = "" if source is None else f"{source}: "
    for warning in result.warnings:
        output.done(f"warning: {where}{warning}")
    return result.values
