"""The text of an edit that could not be applied, kept so that no edit is lost: in
ENVKEEP_HOME/recovered/ (0600, values in clear) until the user deletes it or logs out, with
the `envkeep edit --from` command that applies it, said in the error's hint."""

from __future__ import annotations

import contextlib
import shlex
import time
from typing import TYPE_CHECKING, NoReturn

from envkeep.client.edit_base import read_base, with_base
from envkeep.client.resolution import where_flags
from envkeep.core.errors import ConflictError, SchemaViolation
from envkeep.core.files import make_private_directory, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.errors import EnvkeepError

RECOVERED = "recovered"  # ENVKEEP_HOME's directory of the buffers of edits that failed


def recovered_buffers(home: Path) -> list[Path]:
    """The kept buffers of edits that could not be applied (their values in clear)."""
    return sorted((home / RECOVERED).glob("edit-*.env"))


def forget_recovered_buffers(home: Path) -> int:
    """Delete every kept buffer (`logout`: a user then expects this machine to keep no value
    in clear, whichever store the edit was for); how many were deleted."""
    deleted = 0
    for buffer in recovered_buffers(home):
        with contextlib.suppress(FileNotFoundError):
            buffer.unlink()
            deleted += 1
    return deleted


def _recover(ctx: ClientContext, text: str, env: str) -> Path:
    import secrets

    stamp = time.strftime("%Y%m%d-%H%M%S")
    # A random part too: two edits failing in the same second must not overwrite each other.
    folder = ctx.settings.home / RECOVERED
    make_private_directory(folder)  # its files hold values in clear
    path = folder / f"edit-{env}-{stamp}-{secrets.token_hex(4)}.env"
    write_atomic(path, text.encode(), mode=0o600, private_parents=True)
    return path


def keep_and_raise(
    ctx: ClientContext,
    error: EnvkeepError,
    *,
    text: str,
    opened: OpenEnvironment,
    at: tuple[str, str | None],
    source: Path | None,
    again: tuple[str, ...] = (),
    confirm: bool = False,
) -> NoReturn:
    """Keep a text that could not be applied to ``at`` (env, service; ``source``: the text is
    a file of the user's already) and raise ``error`` with a hint that says where it is and
    how to apply it, with the flags ``again`` (--yes where nothing can ask; --overwrite where
    it was asked for), so that the command works as given (``confirm``: the text was not
    confirmed, so with --yes whatever ``again`` says)."""
    env, service = at
    if source is None:
        text = with_base(text, env, service, opened.variables(opened.scope_for(service)))
    kept_in = _recover(ctx, text, env) if source is None else source
    apply = apply_command(ctx, (env, service), kept_in, (*again, "--yes") if confirm else again)
    when = "" if confirm else " once corrected"
    kept = (
        f"your text is kept in {kept_in} (values in clear: delete it once you have used"
        f" it; logout deletes it too); to apply it{when}: {apply}"
        if source is None
        else f"your text is still in {kept_in}; to apply it{when}: {apply}"
    )
    if (
        isinstance(error, ConflictError)
        and read_base(text) is not None
        and "--overwrite" not in again
    ):
        kept += f"; to write your changes over the other write's: {apply} --overwrite"
    # The schema's refusal keeps its hint: it names the flag that writes anyway.
    said = (
        error.hint if isinstance(error, SchemaViolation) and error.hint else "nothing was changed"
    )
    error.hint = f"{said}; {kept}"
    raise error


def apply_command(
    ctx: ClientContext, at: tuple[str, str | None], kept_in: Path, again: tuple[str, ...]
) -> str:
    """``envkeep edit --from`` for a kept text: the scope said in full (the file outlives the
    directory the edit ran in), the path shell-quoted, each flag of ``again`` once."""
    flags = where_flags(ctx, *at, anywhere=True)
    return shlex.join(
        ["envkeep", "edit", *flags.split(), "--from", str(kept_in), *dict.fromkeys(again)]
    )
