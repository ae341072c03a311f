"""`envkeep edit`: one scope's variables in $EDITOR, written as one batch (the use case:
client/editing.py)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import EnvOpt, NoValidateOpt, ServiceOpt, YesOpt
from envkeep.cli.state import WriteScope, confirm, confirming, interactive
from envkeep.cli.variable_cmds import warn_unresolved
from envkeep.client import editing
from envkeep.client.context import SHARED_SCOPE_OPTION
from envkeep.client.edit_base import kept_scope
from envkeep.client.resolution import where_flags
from envkeep.client.shadowed_shared import shadow_notes
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def _read_text(path: Path) -> str:
    """The text of the file `edit --from` applies."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"cannot read {path}: {getattr(error, 'strerror', None) or error}",
            hint="name the file an edit kept (ENVKEEP_HOME/recovered/edit-….env) or one you wrote",
        ) from None


def _putting(text: str) -> Callable[[Path], None]:
    """An "editor" that puts ``text`` in the buffer (`edit --from`)."""

    def put(buffer: Path) -> None:
        buffer.write_text(text, encoding="utf-8")

    return put


def _scope(env: str | None, service: str | None, text: str | None) -> WriteScope:
    """What the edit works on: the flags' environment and scope; where they name none, those
    a kept buffer (``text``, applied with --from) was read from, whatever the directory;
    else the project's default environment and the directory's service."""
    kept = None if text is None else kept_scope(text)
    if kept is not None:
        env = kept[0] if env is None else env
        if service is None:
            service = SHARED_SCOPE_OPTION if kept[1] is None else kept[1]
    return WriteScope.of(env, service)


def _plan_approval(at: WriteScope, *, yes: bool, always: bool) -> editing.Approve:
    """Show what an edit changes (names only), then ask: ``always`` (a file applied by `edit
    --from`), else when it unsets most of the scope (`editing.deletes_much`)."""

    def approve(changes: Mapping[str, str | None], before: Mapping[str, str]) -> None:
        much = editing.deletes_much(changes, before)
        if not (always or much):
            return
        for name, value in sorted(changes.items()):
            mark = "-" if value is None else "~" if name in before else "+"
            output.done(f"  {mark} {name}")
        output.done(
            f"{output.counted(len(changes), 'change')} to {at.words} (+ new, ~ changed, - unset)"
        )
        if much:
            unset = sum(1 for value in changes.values() if value is None)
            output.done(f"this unsets {unset} of the {len(before)} variables of {at.words}")
        confirm(at.ctx.settings, f"Apply them to {at.words}?", yes=yes)

    return approve


def _editor(settings_editor: str) -> Callable[[Path], None]:
    def run(path: Path) -> None:
        argv = [*shlex.split(settings_editor), str(path)]
        try:
            done = subprocess.run(argv, check=False)
        except FileNotFoundError:
            raise UsageError(
                f"editor not found: {argv[0]}", hint="set EDITOR (or VISUAL) to your editor"
            ) from None
        if done.returncode != 0:
            raise UsageError(f"the editor exited with code {done.returncode}; nothing changed")

    return run


def _opened_editor(at: WriteScope) -> Callable[[Path], None]:
    """The user's editor; refused off a terminal when it would be vi, the fallback."""
    if not at.ctx.settings.editor_named and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(  # vi without a terminal draws escape codes and fails; ask nothing
            "no editor to open: VISUAL and EDITOR are unset, and vi (the fallback) needs a"
            " terminal; nothing changed",
            hint="apply a file instead: envkeep edit --from FILE"
            f" {where_flags(at.ctx, at.env, at.service)}, or set EDITOR",
        )
    return _editor(at.ctx.settings.editor)


def edit(
    env: EnvOpt = None,
    service: ServiceOpt = None,
    yes: YesOpt = False,
    no_validate: NoValidateOpt = False,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Apply this file instead of opening the editor: a buffer envkeep kept"
            " (ENVKEEP_HOME/recovered/) applies only your changes in it, to the environment and"
            " scope it was read from unless --env or --service says; any other text becomes"
            " the scope's whole content. Shows what it changes, then asks (--yes: does not).",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="With --from a kept buffer: write your changes over names another write"
            " changed since it was read (refused otherwise).",
        ),
    ] = False,
) -> None:
    """Edit one scope's variables in $EDITOR; what changed is written as one batch. Each
    value set is checked as `set` checks it. A name missing from the text is unset, as `unset`
    checks it; a text with no variable left cancels the edit (unset deletes them all), and one
    that unsets most of the scope is shown and asked first (--yes off a terminal). On a
    terminal, a text refused for what it holds opens again with the reason on top: correct
    it, or save it unchanged to give up.

    Example: EDITOR=nano envkeep edit --env dev --service api
    """
    text = None if from_file is None else _read_text(from_file)
    at = _scope(env, service, text)
    if overwrite and text is None:
        raise UsageError(
            "--overwrite applies a kept buffer: it goes with --from FILE",
            hint="the editor starts from the values there now, so it has nothing to overwrite",
        )
    run_editor = _opened_editor(at) if text is None else _putting(text)
    approve = _plan_approval(at, yes=yes, always=text is not None)
    # An editor on a terminal is reopened on a refused text, as kubectl edit does.
    reopen = text is None and interactive(at.ctx.settings) and sys.stdout.isatty()
    result = confirming(
        at.ctx.settings,
        yes,
        lambda ok: editing.edit_scope(
            at.ctx,
            at.env,
            at.service,
            run_editor,
            confirmed=ok,
            check=not no_validate,
            approve=approve,
            source=from_file,
            overwrite=overwrite,
            reopen=reopen,
            can_ask=interactive(at.ctx.settings),
        ),
        where=at.words,
    )
    _report(at, result)


def _report(at: WriteScope, result: editing.EditResult) -> None:
    if not result.set_names and not result.unset_names:
        output.done("no changes")
    else:
        output.done(f"set {len(result.set_names)}, unset {len(result.unset_names)} in {at.words}")
    if result.deleted is not None:
        output.done(f"deleted {result.deleted} (applied; it held values in clear)")
    for note in shadow_notes(at.env, result.shadowed):
        output.done(note)
    warn_unresolved(result.unresolved)
    for broken in result.broken:
        output.done(f"warning: {broken.describe()}")
