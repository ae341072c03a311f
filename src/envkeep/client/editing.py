"""`envkeep edit`: change one scope's variables in an editor, applied as one batch.

The buffer is a dotenv file in a private temp directory (0700/0600), removed afterwards. The
batch is written against the versions read before the editor opened, so if someone changed the
scope meanwhile the write is refused as a conflict; then (and on a syntax error) the buffer is
kept in ENVKEEP_HOME/recovered/ (0600) so no edit is lost, until the user deletes it or logs
out (`recovered_edits`: its values are in clear), and `edit --from FILE` applies it once
corrected, read in the buffer's own format, after showing what it changes (`edit_base`). What
is set is checked against the schemas of the services that will see it, as `envkeep set`
checks it (`write_checks`).

A text with no variable left, where the scope had some, cancels the edit (as git does with an
empty commit message, and kubectl edit with an empty file): a buffer emptied by mistake would
delete the whole scope. Deleting everything is `envkeep unset`'s, named in the hint.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client.conflicts import write_changes
from envkeep.client.edit_base import changes_since, read_base
from envkeep.client.recovered_edits import RECOVERED, apply_command, keep_and_raise
from envkeep.client.resolution import where_flags
from envkeep.core.dotenv import ParsedDotenv, parse_dotenv, render_dotenv
from envkeep.core.errors import (
    ConfirmationRequired,
    EnvkeepError,
    Interrupted,
    UsageError,
)
from envkeep.core.files import (
    remove_dead_directories,
    write_atomic,
    writer_tag,
)
from envkeep.core.terminations import interrupt_on_termination

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    # Shown the changes an edit will write (name -> new value, None to unset) and the values
    # before; raises to write nothing (`edit --from`'s plan and question).
    Approve = Callable[[Mapping[str, str | None], Mapping[str, str]], None]

    from envkeep.client.broken_references import BrokenReference, Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.edit_base import Base
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.schema import Schema

HEADER = (
    "envkeep edit: {where}. Save and quit to apply; delete a line to unset it.\n"
    "Values are as stored, whatever their quotes: ${{NAME}} is a reference, $${{ a literal ${{\n"
    "(a file import reads '${{X}}' in single quotes as literal text; here it is a reference).\n"
    "Values are in clear here while the editor runs; if the edit cannot be applied, this text\n"
    "is kept (0600) in ENVKEEP_HOME/recovered/ until you delete it or log out."
)


@dataclass(frozen=True)
class EditResult:
    set_names: tuple[str, ...]
    unset_names: tuple[str, ...]
    unresolved: tuple[Unresolved, ...] = ()  # values written that do not resolve
    broken: tuple[BrokenReference, ...] = ()  # references elsewhere its removals broke
    deleted: Path | None = None  # the kept buffer `edit --from` applied, deleted since
    shadowed: tuple[Shadowed, ...] = ()  # a shared edit: the names written services override


def edit_scope(
    ctx: ClientContext,
    env: str,
    service: str | None,
    run_editor: Callable[[Path], None],
    *,
    confirmed: bool = False,
    check: bool = True,
    approve: Approve | None = None,
    source: Path | None = None,
    overwrite: bool = False,
    reopen: bool = False,
    can_ask: bool = True,
) -> EditResult:
    """Open the scope's variables in an editor and apply what changed (``check``: refused
    when a schema refuses a value set, `write_checks`; ``approve``: asked once the changes
    passed every check, before anything is written). ``source``: the file `edit --from`
    applies (``run_editor`` puts it in the buffer); a failure then keeps no copy of it, and a
    kept buffer applied is deleted. ``overwrite``: a kept text's changes are written over
    names another write changed since it was read, instead of refused. ``reopen``: a text
    refused for what it holds (its syntax, a reference, a schema) is opened again in the
    editor with the refusal on top, until it applies or is saved unchanged (an editor on a
    terminal: the CLI decides). ``can_ask``: a question can be answered here (a terminal), so
    the hint's `edit --from` may leave --yes out and ask."""
    from envkeep.client.opening import open_for_write
    from envkeep.client.write_checks import schemas_to_check
    from envkeep.client.write_role import refuse_unless_writable

    schemas = schemas_to_check(ctx) if check else {}
    # Every scope: the edited values' references are checked against them (`_apply`).
    opened = open_for_write(ctx, env, service, every_scope=True, refuse_readers=False)
    # A reader first, before the editor opens: the text would be refused, and kept in clear
    # for nothing. Asked of the server when the read does not say (an older server).
    refuse_unless_writable(ctx, opened, ask=True, note="the editor was not opened")
    _refuse_unconfirmed(opened, env, confirmed=confirmed)
    scope = opened.scope_for(service)
    before = {v.name: v.value for v in opened.variables(scope)}
    # The flags the hint's `edit --from` needs to work as given (`recovered_edits.keep_and_raise`).
    again = (*(() if can_ask and not confirmed else ("--yes",)), *(("--overwrite",) * overwrite))
    with _buffer_directory() as workdir:
        buffer = workdir / f"{env}.env"
        write_atomic(
            buffer,
            render_dotenv(
                before, header=HEADER.format(where=f"{env} / {service or 'shared'}")
            ).encode(),
        )
        shown: str | None = None  # the text last reopened with its refusal on top
        while True:
            try:
                run_editor(buffer)
            except (EnvkeepError, KeyboardInterrupt) as failed:
                if shown is None:  # the first run: nothing of the user's to keep yet
                    raise
                # Reopened: the text holds the user's earlier rounds (and any saved since).
                said = failed if isinstance(failed, EnvkeepError) else Interrupted()
                text = _read_or(buffer, shown)
                keep_and_raise(
                    ctx, said, text=text, opened=opened, at=(env, service), source=None,
                    again=again,
                )  # fmt: skip
            text = buffer.read_text(encoding="utf-8")
            try:
                done = _apply(
                    ctx, opened, service, before, text, schemas=schemas, approve=approve,
                    overwrite=overwrite, source=source, again=again,
                )  # fmt: skip
                break
            except _Cancelled as cancelled:  # nothing of the user's to keep (see the class)
                raise cancelled.error from None
            except _NotConfirmed as unasked:
                keep_and_raise(
                    ctx, unasked.error, text=text, opened=opened, at=(env, service),
                    source=source, again=again, confirm=True,
                )  # fmt: skip
            except _TextRefused as refused:
                if not reopen or text == shown:  # saved as it was shown: the user gives up
                    error = refused.error
                else:
                    shown = _with_refusal(text, refused.error)
                    write_atomic(buffer, shown.encode(), mode=0o600)
                    continue
            except EnvkeepError as failed:
                error = failed
            keep_and_raise(
                ctx, error, text=text, opened=opened, at=(env, service), source=source,
                again=again,
            )  # fmt: skip
    if source is not None and source.parent.resolve() == (ctx.settings.home / RECOVERED).resolve():
        source.unlink(missing_ok=True)  # applied: its values in clear are of no more use
        done = replace(done, deleted=source)
    return done


_BUFFER_PREFIX = "envkeep-edit-"


@contextlib.contextmanager
def _buffer_directory() -> Iterator[Path]:
    """A private temporary directory for the buffer, whose values are in clear: removed at the
    end whatever ends the command, a `kill` or a closed terminal too
    (`interrupt_on_termination`)."""
    restore_signals = interrupt_on_termination()
    # Named by this process, so that the next edit removes it if this one is killed -9.
    remove_dead_directories(Path(tempfile.gettempdir()), _BUFFER_PREFIX)
    workdir = Path(tempfile.mkdtemp(prefix=f"{_BUFFER_PREFIX}{writer_tag()}-"))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        restore_signals()


def _refuse_unconfirmed(opened: OpenEnvironment, env: str, *, confirmed: bool) -> None:
    """A protected environment's edit needs confirming before the editor opens."""
    if opened.snapshot.environment.protected and not confirmed:
        raise ConfirmationRequired(
            f"environment '{env}' is protected", hint="confirm with --yes, or answer the prompt"
        )


def _read_or(buffer: Path, fallback: str) -> str:
    """The buffer's text as the editor left it; ``fallback`` when it cannot be read."""
    try:
        return buffer.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return fallback


# The lines a reopened buffer starts with: why the text was not applied (dropped when read).
_REFUSAL = "# ! "


def _with_refusal(text: str, error: EnvkeepError) -> str:
    """``text`` with ``error`` on top as comment lines (in place of an earlier refusal), for
    the editor reopened on it."""
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith(_REFUSAL)]
    said = [
        "envkeep edit: not applied, nothing was written:",
        str(error),
        *([f"hint: {error.hint}"] if error.hint else []),
        "Correct the text and save to try again; save it unchanged to give up (it is then",
        "kept in ENVKEEP_HOME/recovered/ for edit --from).",
    ]
    head = "".join(f"{_REFUSAL}{part}\n" for line in said for part in line.splitlines())
    return head + "".join(lines)


def _refuse_duplicates(parsed: ParsedDotenv) -> None:
    """Refuse a name given twice: one of the two values would be dropped without a word
    (a line typed at the top while the old one stays below, say)."""
    first: dict[str, int] = {}
    for entry in parsed.entries:
        line = first.setdefault(entry.name, entry.line)
        if line != entry.line:
            raise UsageError(
                f"{entry.name} is given twice in the text (lines {line} and {entry.line} of"
                " the buffer); nothing was written",
                hint="keep one of the two lines",
            )


class _TextRefused(Exception):
    """The text itself was refused (its syntax, a reference, a schema): something the user
    can correct in the editor. The error inside is the one to report."""

    def __init__(self, error: EnvkeepError) -> None:
        super().__init__(str(error))
        self.error = error


class _Cancelled(Exception):
    """The edit stops with the error inside, nothing written and nothing kept: ``approve``
    said no (the text is where the user has it), the text holds no variable (nothing in it
    to keep), or it was kept from an edit of another scope (the kept file is still there)."""

    def __init__(self, error: EnvkeepError) -> None:
        super().__init__(str(error))
        self.error = error


class _NotConfirmed(Exception):
    """``approve`` could not ask (no terminal, no --yes): nothing written, and the text kept
    with the command that applies it, --yes included (it came from an editor run that may not
    give the same text again)."""

    def __init__(self, error: EnvkeepError) -> None:
        super().__init__(str(error))
        self.error = error


# Unsets up to this many are never asked about, whatever the scope's size.
LARGE_DELETION = 2


def deletes_much(changes: Mapping[str, str | None], before: Mapping[str, str]) -> bool:
    """Whether an edit's ``changes`` unset more than half of the variables the scope held
    (``before``), and more than a couple: the CLI shows them and asks first (`--yes` off a
    terminal), as it does for a file applied with `edit --from`."""
    unset = sum(1 for value in changes.values() if value is None)
    return unset > LARGE_DELETION and unset * 2 > len(before)


def _words(env: str, service: str | None) -> str:
    """A scope as the CLI's done lines name it: ``dev (shared)``, ``dev (service api)``."""
    return f"{env} ({'shared' if service is None else f'service {service}'})"


_NAMED = 10  # names a hint's `envkeep unset` spells out; more are counted


def _emptied(
    ctx: ClientContext,
    env: str,
    service: str | None,
    before: Mapping[str, str],
    source: Path | None,
) -> _Cancelled:
    """The cancellation of a text with no variable left in it, ``before`` being the scope's
    variables: the hint says how to delete them all on purpose."""
    what = "the buffer was emptied (no variable left)"
    if source is not None:
        what = f"{source} holds no variable"
    flags = where_flags(ctx, env, service, anywhere=True)  # a deletion says its scope in full
    unset = f"envkeep unset {' '.join(sorted(before))} {flags}"
    if len(before) > _NAMED:  # too long a line to copy: the names are listed
        unset = f"envkeep unset NAME… {flags}, naming the {len(before)} envkeep list {flags} shows"
    return _Cancelled(
        UsageError(
            f"the edit was cancelled: {what}; nothing changed",
            hint=f"to unset every variable of {_words(env, service)} on purpose: {unset}",
        )
    )


def _other_scope(
    ctx: ClientContext,
    base: Base,
    at: tuple[str, str | None],
    source: Path | None,
    again: tuple[str, ...],
) -> _Cancelled | None:
    """The cancellation of a kept text applied to a scope (``at``: env, service) other than
    the one it was read from; None when it is that one."""
    if (base.env, base.service) == at:
        return None
    there = apply_command(ctx, (base.env, base.service), source or Path("FILE"), again)
    return _Cancelled(
        UsageError(
            f"this text was kept from an edit of {base.env} / {base.service or 'shared'}",
            hint=f"apply it there: {there}",
        )
    )


def _apply(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    before: dict[str, str],
    text: str,
    *,
    schemas: dict[str, Schema],
    approve: Approve | None = None,
    overwrite: bool = False,
    source: Path | None = None,
    again: tuple[str, ...] = (),
) -> EditResult:
    from envkeep.client.assignments import check_references
    from envkeep.client.broken_references import broken_by_changes, unresolved_by_set
    from envkeep.client.shadowed_shared import shadowed_names
    from envkeep.client.write_checks import refuse_violations

    try:
        parsed = parse_dotenv(text, source="the edited buffer")
        _refuse_duplicates(parsed)
        after = parsed.values
        base = read_base(text)
    except EnvkeepError as error:
        raise _TextRefused(error) from error
    env = opened.snapshot.environment.name
    elsewhere = None if base is None else _other_scope(ctx, base, (env, service), source, again)
    if elsewhere is not None:
        raise elsewhere
    if not after and before:  # before any check: an emptied buffer is no list of deletions
        raise _emptied(ctx, env, service, before, source)
    if base is None:
        changes: dict[str, str | None] = {k: v for k, v in after.items() if before.get(k) != v}
        changes.update({k: None for k in before if k not in after})
    else:
        now = {v.name: v for v in opened.variables(opened.scope_for(service))}
        changes = changes_since(base, after, now, overwrite=overwrite)
    try:
        for name, value in changes.items():
            if value is not None:
                check_references(name, value, service)
        refuse_violations(ctx, opened, service, changes, schemas)
        unresolved = unresolved_by_set(ctx, opened, service, changes)  # refuses a cycle
        broken = broken_by_changes(ctx, opened, service, changes)  # as `unset` tells them
    except EnvkeepError as error:
        raise _TextRefused(error) from error
    if changes and approve is not None:
        try:
            approve(changes, before)
        except UsageError as error:  # not asked (no terminal, no --yes): the text is kept
            raise _NotConfirmed(error) from error
        except EnvkeepError as error:
            raise _Cancelled(error) from error
    if changes:  # a key rotation since the read is no conflict: planned again (`conflicts`)
        write_changes(ctx, opened, service, changes, confirmed=True)
    return EditResult(
        tuple(sorted(k for k, v in changes.items() if v is not None)),
        tuple(sorted(k for k, v in changes.items() if v is None)),
        tuple(unresolved),
        broken=tuple(broken),
        shadowed=() if service is not None else shadowed_names(ctx, opened, sorted(changes)),
    )
