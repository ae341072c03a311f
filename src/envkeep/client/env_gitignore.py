"""The lines `init` adds to the project's .gitignore in a git work tree, so that the `.env`
files `activate-all` writes into each service directory (every value in clear) and their
backups are never committed. activate-all only warned, after writing them, that git would
commit them; a new project now starts with the lines that warning asked for.

A line is added only where the repository's own .gitignore files do not already ignore what it
covers there (a `*.env`, a `.env*` or the same line), so nothing is said twice (a global
excludes file or .git/info/exclude does not count: a teammate without it would commit the
file); the file's own bytes are kept as they were, the lines added at its end, and it is
replaced atomically. Outside a work tree nothing is written; in a repository without git on
PATH neither, but the lines to add are said (it went without a word, .env left unignored). A
.gitignore that is a link is left alone (git does not read one: the lines written through it
ignored nothing), and so is a read-only one (its mode, which an atomic replace would not ask);
one that is left or cannot be written is said, with the lines to add, not a failed `init`."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client.git_exposure import git_output
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Sequence

# Each line, and the file it covers in a directory activate-all writes to.
ENV_IGNORES = ((".env", ".env"), (".env.bak*", ".env.bak"))
_WHY = b"# envkeep activate-all writes these: every value in clear"
_LINES = tuple(line for line, _name in ENV_IGNORES)
_NO_GIT = "git is not on PATH to tell what it ignores already"


@dataclass(frozen=True)
class EnvIgnores:
    """What `ignore_env_files` did: the lines ``added``, or those git lacks that could not be
    (``not_added``) and ``why``."""

    added: tuple[str, ...] = ()
    not_added: tuple[str, ...] = ()
    why: str = ""


def ignore_env_files(root: Path, directories: Sequence[str]) -> EnvIgnores:
    """Add to ``root``'s .gitignore each line of `ENV_IGNORES` that git does not apply yet to
    the files it covers in ``root`` and ``directories`` (relative to it)."""
    git = shutil.which("git")
    if git is None:  # nothing to ask what is ignored: said, where a repository is seen
        return EnvIgnores(not_added=_LINES, why=_NO_GIT) if _in_repository(root) else EnvIgnores()
    seen = [d for d in (".", *directories) if _git_sees_into(root, d)]
    probes = {line: [_under(d, name) for d in seen] for line, name in ENV_IGNORES}
    ignored = _ignored_by_gitignores(git, root, {p for paths in probes.values() for p in paths})
    if ignored is None:  # not a work tree (128), or git failed
        return EnvIgnores()
    missing = tuple(line for line, paths in probes.items() if not ignored.issuperset(paths))
    ignore = root / ".gitignore"
    if not missing:
        return EnvIgnores()
    kept = _kept_as_is(ignore)
    if kept is not None:
        return EnvIgnores(not_added=missing, why=kept)
    try:
        _append(ignore, missing)
    except OSError as error:
        return EnvIgnores(not_added=missing, why=(error.strerror or type(error).__name__).lower())
    return EnvIgnores(added=missing)


def _in_repository(root: Path) -> bool:
    """Whether ``root`` or a directory above it holds a ``.git`` (a directory, or a worktree's
    or a submodule's file): a repository that git, were it installed, would commit .env in."""
    return any((where / ".git").exists() for where in (root, *root.resolve().parents))


def _kept_as_is(ignore: Path) -> str | None:
    """Why ``ignore`` is not to be changed; None when it may be."""
    if ignore.is_symlink():  # git reads no .gitignore that is a link (git 2.32 on)
        return "it is a link, which git does not read"
    # The mode, not access(): root may write any file, and a 0444 .gitignore is one its owner
    # keeps as it is (the atomic replace would not ask).
    if ignore.exists() and not stat.S_IMODE(ignore.stat().st_mode) & 0o222:
        return "it is read-only"
    return None


def _ignored_by_gitignores(git: str, root: Path, paths: set[str]) -> set[str] | None:
    """Which of ``paths`` the repository's own .gitignore files ignore (None: not a work tree,
    or git failed). A user's global excludes and .git/info/exclude do not count: a teammate
    without them would commit what they ignore. --no-index: the rules alone, a tracked file
    included (`activate-all` says to untrack it)."""
    check = ["-c", f"core.excludesFile={os.devnull}", "check-ignore", "--no-index"]
    check += ["--verbose", "--non-matching", "-z", "--stdin"]
    said = git_output(git, root, check, ok=(0, 1), stdin="\0".join(sorted(paths)))
    if said is None:
        return None
    fields = said.split("\0")
    # -z --verbose: source, line number, pattern and path for each path (source empty: none)
    records = [fields[i : i + 4] for i in range(0, len(fields) - 3, 4)]
    return {path for source, _line, pattern, path in records if _own(source, pattern)}


def _own(source: str, pattern: str) -> bool:
    """Whether a path's last matching pattern ignores it from one of the repository's
    .gitignore files (a relative path; a global excludes file is named absolutely)."""
    own = Path(source).name == ".gitignore" and not Path(source).is_absolute()
    return own and not pattern.startswith("!")


def _git_sees_into(root: Path, directory: str) -> bool:
    """Whether no link stands on the way to ``directory``: git stops at one (it commits the link,
    not what is beyond it), and a path beyond one fails the whole check-ignore (128)."""
    real = root.resolve()
    return (root / directory).resolve() == Path(os.path.normpath(real / directory))


def _under(directory: str, name: str) -> str:
    """``name`` in ``directory`` (relative to the root), as git echoes it back."""
    directory = directory.strip("/")
    return name if directory in ("", ".") else f"{directory}/{name}"


def _append(ignore: Path, lines: Sequence[str]) -> None:
    """``lines`` after a comment at the end of ``ignore`` (made if missing), in its own line
    ending; every byte it held before kept."""
    held = ignore.read_bytes() if ignore.exists() else b""
    newline = b"\r\n" if b"\r\n" in held else b"\n"
    if held and not held.endswith(b"\n"):
        held += newline
    added = newline.join([_WHY, *(line.encode() for line in lines)]) + newline
    mode = stat.S_IMODE(ignore.stat().st_mode) if ignore.exists() else 0o644
    write_atomic(ignore, held + added, mode=mode)
