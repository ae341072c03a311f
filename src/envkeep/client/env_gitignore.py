"""The lines `init` adds to the project's .gitignore in a git work tree, so that the `.env`
files `activate-all` writes into each service directory (every value in clear) and their
backups are never committed. activate-all only warned, after writing them, that git would
commit them; a new project now starts with the lines that warning asked for.

A line is added only where git's rules do not already ignore what it covers there (a `*.env`,
a `.env*` or the same line), so nothing is said twice; the file's own bytes are kept as
they were, the lines added at its end, and it is replaced atomically. Outside a work tree, or
without git, nothing is written. A .gitignore that is a link is left alone (git does not read
one: the lines written through it ignored nothing), and one that cannot be written is said, not
a failed `init`."""

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
    if git is None:
        return EnvIgnores()
    seen = [d for d in (".", *directories) if _git_sees_into(root, d)]
    probes = {line: [_under(d, name) for d in seen] for line, name in ENV_IGNORES}
    every = sorted({p for paths in probes.values() for p in paths})
    # --no-index: the rules alone, a tracked file included (`activate-all` says to untrack it)
    check = ["check-ignore", "--no-index", "-z", "--stdin"]
    said = git_output(git, root, check, ok=(0, 1), stdin="\0".join(every))
    if said is None:  # not a work tree (128), or git failed
        return EnvIgnores()
    ignored = set(said.split("\0"))
    missing = tuple(line for line, paths in probes.items() if not ignored.issuperset(paths))
    ignore = root / ".gitignore"
    if not missing:
        return EnvIgnores()
    if ignore.is_symlink():  # git reads no .gitignore that is a link (git 2.32 on)
        return EnvIgnores(not_added=missing, why="it is a link, which git does not read")
    try:
        _append(ignore, missing)
    except OSError as error:
        return EnvIgnores(not_added=missing, why=(error.strerror or type(error).__name__).lower())
    return EnvIgnores(added=missing)


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
