"""The warning that git would commit a file holding secrets in clear (`activate-all`'s .env
files, the plaintext `encrypt` leaves), with the hint that fixes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli import output

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.git_exposure import Exposed

IGNORE_ENV_FILES = "add .env and .env.bak* to the project's .gitignore"


def warn_committable(root: Path, exposed: Exposed, *, ignore: str = IGNORE_ENV_FILES) -> None:
    """Say so for each kind of ``exposed`` file (paths shown relative to ``root``); ``ignore``
    is the hint for files no ignore rule covers."""
    for paths, how, fix in (
        (exposed.tracked, "git tracks", "untrack it: git rm --cached {}, and ignore .env files"),
        (exposed.unignored, "git would commit", ignore),
    ):
        if paths:
            shown = ", ".join(_shown(p, root) for p in paths[:3])
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            output.done(f"warning: {how} {shown}{more}: .env files hold secrets")
            output.done(f"hint: {fix.format(_shown(paths[0], root))}")


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
