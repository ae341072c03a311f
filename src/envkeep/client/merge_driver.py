"""envkeep as git's merge driver for encrypted dotenv files: setting it up in a repository
(`envkeep git-setup`), and telling whether a file is being merged (for `decrypt`'s hints).

The driver takes two places: ``.gitattributes`` (committed, so every clone routes the files to
the driver named ``envkeep``) and the clone's own ``.git/config`` (``merge.envkeep.driver``,
which git never takes from a repository: each clone runs `envkeep git-setup` once). A clone
without the config merges the files line by line, as before.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from envkeep.core.errors import UsageError
from envkeep.core.files import write_atomic

DEFAULT_PATTERNS = ("*.env.enc", ".env.*.enc")
DRIVER_ARGUMENTS = "merge-file %O %A %B %P"
_NAME = "envkeep: encrypted dotenv files, merged value by value"
_MARKER_RE = re.compile(r"^(?:<{7}|>{7})(?: |\r?$)|^={7}\r?$", re.MULTILINE)
# What a merge, rebase, cherry-pick or revert under way leaves in the git directory.
_UNDER_WAY = (
    "MERGE_HEAD",
    "CHERRY_PICK_HEAD",
    "REVERT_HEAD",
    "REBASE_HEAD",
    "rebase-merge",
    "rebase-apply",
)


@dataclass(frozen=True)
class GitSetup:
    """What `git-setup` did: the ``.gitattributes`` written (patterns added, and those it had
    already) and the driver command set in the clone's config."""

    attributes: Path
    added: tuple[str, ...]
    present: tuple[str, ...]
    driver: str


def set_up_merge_driver(cwd: Path, patterns: tuple[str, ...], command: str) -> GitSetup:
    """Route ``patterns`` to envkeep's merge driver in the repository holding ``cwd``, which
    runs ``command`` (the envkeep executable); idempotent."""
    top = _git(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        raise UsageError(
            f"{cwd} is not in a git work tree",
            hint="run it in the repository that holds the encrypted files",
        )
    attributes = Path(top.strip()) / ".gitattributes"
    added, present = _add_attributes(attributes, patterns)
    driver = f"{command} {DRIVER_ARGUMENTS}"
    for key, value in (("name", _NAME), ("driver", driver)):
        if _git(cwd, "config", "--local", f"merge.envkeep.{key}", value) is None:
            raise UsageError(f"git config could not set merge.envkeep.{key}")
    return GitSetup(attributes, added, present, driver)


def _add_attributes(
    path: Path, patterns: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    routed = {
        line.split()[0]
        for line in text.splitlines()
        if len(line.split()) > 1 and "merge=envkeep" in line.split()[1:]
    }
    added = tuple(p for p in dict.fromkeys(patterns) if p not in routed)
    if added:
        lines = "".join(f"{pattern} merge=envkeep\n" for pattern in added)
        separator = "\n" if text and not text.endswith("\n") else ""
        write_atomic(path, (text + separator + lines).encode("utf-8"), mode=_mode(path))
    return added, tuple(p for p in patterns if p in routed)


def being_merged(path: Path) -> bool:
    """Whether a merge, rebase, cherry-pick or revert is under way in the repository holding
    ``path`` (False, never an error, without git or a work tree)."""
    return _any_in_git_dir(path, _UNDER_WAY)


def rebasing(path: Path) -> bool:
    """Whether a rebase is under way in the repository holding ``path`` (where git's "ours"
    is the branch rebased onto); False, never an error, without git. `git am` works in
    ``rebase-apply`` too, but as a merge does (ours: the branch); only a rebase leaves
    ``rebase-apply/rebasing`` there."""
    return _any_in_git_dir(path, ("rebase-merge", "rebase-apply/rebasing"))


def _any_in_git_dir(path: Path, names: tuple[str, ...]) -> bool:
    where = path.parent if path.parent.is_dir() else Path.cwd()
    found = _git(where, "rev-parse", "--git-dir")
    if found is None:
        return False
    git_dir = where / found.strip()  # relative to where git ran, when not absolute
    return any((git_dir / name).exists() for name in names)


def _git(cwd: Path, *args: str) -> str | None:
    """git's output, or None when it fails or cannot run."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "-C", str(cwd), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def has_conflict_markers(text: str) -> bool:
    """Whether ``text`` holds the conflict markers of a line-by-line git merge."""
    return _MARKER_RE.search(text) is not None


def merge_again_hint(path: Path) -> str:
    """What to do with an encrypted file git merged line by line."""
    quoted = shlex.quote(str(path))
    return (
        "set up envkeep's merge driver (envkeep git-setup), merge the file again"
        f" (git checkout -m {quoted}), then git add {quoted} if envkeep merged it"
    )
