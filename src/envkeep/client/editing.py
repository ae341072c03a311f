"""`envkeep edit`: change one scope's variables in an editor, applied as one batch.

The buffer is a dotenv file in a private temp directory (0700/0600), removed afterwards. The
batch is written against the versions read before the editor opened, so if someone changed the
scope meanwhile the write is refused as a conflict; then (and on a syntax error) the buffer is
kept in ENVKEEP_HOME/recovered/ (0600) so no edit is lost.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client.conflicts import write_planned
from envkeep.core.dotenv import parse_dotenv, render_dotenv
from envkeep.core.errors import ConfirmationRequired, EnvkeepError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

HEADER = (
    "envkeep edit: {where}. Save and quit to apply; delete a line to unset it.\n"
    "Values are decrypted here only while the editor runs."
)


@dataclass(frozen=True)
class EditResult:
    set_names: tuple[str, ...]
    unset_names: tuple[str, ...]


def _recover(ctx: ClientContext, text: str, env: str) -> Path:
    import secrets

    stamp = time.strftime("%Y%m%d-%H%M%S")
    # A random part too: two edits failing in the same second must not overwrite each other.
    path = ctx.settings.home / "recovered" / f"edit-{env}-{stamp}-{secrets.token_hex(4)}.env"
    write_atomic(path, text.encode(), mode=0o600)
    return path


def edit_scope(
    ctx: ClientContext,
    env: str,
    service: str | None,
    run_editor: Callable[[Path], None],
    *,
    confirmed: bool = False,
) -> EditResult:
    """Open the scope's variables in an editor and apply what changed."""
    from envkeep.client.variables import open_environment

    opened = open_environment(ctx, env, service)
    if opened.snapshot.environment.protected and not confirmed:
        raise ConfirmationRequired(
            f"environment '{env}' is protected", hint="confirm with --yes, or answer the prompt"
        )
    scope = opened.scope_for(service)
    before = {v.name: v.value for v in opened.variables(scope)}
    where = f"{env} / {service or 'shared'}"
    workdir = Path(tempfile.mkdtemp(prefix="envkeep-edit-"))
    try:
        buffer = workdir / f"{env}.env"
        write_atomic(buffer, render_dotenv(before, header=HEADER.format(where=where)).encode())
        run_editor(buffer)
        text = buffer.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        return _apply(ctx, opened, scope, before, text)
    except EnvkeepError as error:
        error.hint = f"nothing was changed; your text is kept in {_recover(ctx, text, env)}"
        raise


def _apply(
    ctx: ClientContext, opened: OpenEnvironment, scope: str, before: dict[str, str], text: str
) -> EditResult:
    from envkeep.client.variables import check_references

    after = parse_dotenv(text, source="the edited buffer").values
    changes: dict[str, str | None] = {k: v for k, v in after.items() if before.get(k) != v}
    changes.update({k: None for k in before if k not in after})
    for name, value in changes.items():
        if value is not None:
            check_references(name, value)
    if changes:
        writes = opened.plan_writes(scope, changes)
        write_planned(ctx, opened, writes, confirmed=True)
    return EditResult(
        tuple(sorted(k for k, v in changes.items() if v is not None)),
        tuple(sorted(k for k, v in changes.items() if v is None)),
    )
