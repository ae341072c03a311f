"""What `envkeep edit` runs on its buffer: the user's editor ($VISUAL, $EDITOR or vi), or, for
`edit --from FILE`, a file's text put in it, the changes shown and asked about first."""

from __future__ import annotations

import shlex
import subprocess
from typing import TYPE_CHECKING

from envkeep.cli import output
from envkeep.cli.state import confirm
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from envkeep.cli.state import WriteScope
    from envkeep.client import editing


def file_as_editor(path: Path) -> Callable[[Path], None]:
    """An "editor" that puts ``path``'s text in the buffer (`edit --from`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"cannot read {path}: {getattr(error, 'strerror', None) or error}",
            hint="name the file an edit kept (ENVKEEP_HOME/recovered/edit-….env) or one you wrote",
        ) from None

    def put(buffer: Path) -> None:
        buffer.write_text(text, encoding="utf-8")

    return put


def plan_approval(at: WriteScope, *, yes: bool) -> editing.Approve:
    """Show what a file applied by `edit --from` changes (names only), then ask."""

    def approve(changes: Mapping[str, str | None], before: Mapping[str, str]) -> None:
        for name, value in sorted(changes.items()):
            mark = "-" if value is None else "~" if name in before else "+"
            output.done(f"  {mark} {name}")
        output.done(
            f"{output.counted(len(changes), 'change')} to {at.words} (+ new, ~ changed, - unset)"
        )
        confirm(at.ctx.settings, f"Apply them to {at.words}?", yes=yes)

    return approve


def external_editor(settings_editor: str) -> Callable[[Path], None]:
    """An "editor" that runs the settings' editor command on the buffer."""

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
