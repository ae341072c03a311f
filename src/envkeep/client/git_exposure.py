"""Whether git would commit a file that holds secrets in clear (a `.env` that `activate-all`
wrote, the source `encrypt` read): a warning to print, never a reason to fail."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Exposed:
    """The files git would commit: ``tracked`` ones are in the index already, ``unignored``
    ones are untracked and no ignore rule covers them."""

    tracked: tuple[Path, ...] = ()
    unignored: tuple[Path, ...] = ()


def files_exposed_to_git(root: Path, found: list[Path]) -> Exposed:
    """What of the files ``found`` (which exist) git would commit. Nothing when git is missing,
    fails, or ``root`` is in no work tree.

    Paths go to git resolved (a service directory may be a link inside the project, which
    git refuses to follow) and NUL-separated (git quotes unusual characters otherwise)."""
    git = shutil.which("git")
    if git is None or not found:
        return Exposed()
    base = root.resolve()
    paths = {str(p.resolve()): p for p in found}
    listed = git_output(git, base, ["ls-files", "-z", "--", *paths], ok=(0,))
    ignored = git_output(
        git, base, ["check-ignore", "-z", "--stdin"], ok=(0, 1), stdin="\0".join(paths)
    )
    if listed is None or ignored is None:
        return Exposed()
    tracked = {str(base / name) for name in listed.split("\0") if name}
    skipped = set(ignored.split("\0"))
    return Exposed(
        tracked=tuple(p for real, p in paths.items() if real in tracked),
        unignored=tuple(p for real, p in paths.items() if real not in tracked | skipped),
    )


def git_output(
    git: str, cwd: Path, args: list[str], *, ok: tuple[int, ...], stdin: str = ""
) -> str | None:
    """git's output, or None when it fails (128: not a work tree) or cannot run."""
    import subprocess

    from envkeep.client.git_questions import NO_REPOSITORY_PROGRAMS

    try:
        done = subprocess.run(
            [git, *NO_REPOSITORY_PROGRAMS, "-C", str(cwd), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode in ok else None
