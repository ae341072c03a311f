"""`git-setup` finds the tracked envkeep-encrypted files its patterns miss: a file encrypted in
place under its old name (`.env.production`, as the dotenvx refusal advises) matched neither
``*.env.enc`` nor ``.env.*.enc``, so git merged it line by line and two branches conflicted on
its ``mac=`` line. Each such file is routed by its own path (anchored: ``/services/api/.env``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from envkeep.client._fileheader import ANY_VERSION_PREFIX, BOM
from envkeep.client.merge_driver import git

__all__ = ["UnroutedFiles", "missed_by_merge_driver", "unrouted_encrypted_files"]

_PREFIX = ANY_VERSION_PREFIX.encode("utf-8")
_BOM = BOM.encode("utf-8")
# A path .gitattributes takes as it is: no whitespace, glob or quoting character in it.
_PLAIN_PATH_RE = re.compile(r"[^\s*?\[\]\\\"!#]+")


@dataclass(frozen=True)
class UnroutedFiles:
    """Tracked envkeep-encrypted files no line routes to envkeep's merge driver: ``patterns``
    to add for them (``/path``), and ``unquotable`` paths a line cannot name as they are."""

    patterns: tuple[str, ...]
    unquotable: tuple[str, ...]


def unrouted_encrypted_files(top: Path) -> UnroutedFiles:
    """The files git tracks in the work tree ``top`` that start with an envkeep header and
    whose ``merge`` attribute is unspecified (one set to another driver is left to it)."""
    listed = git(top, "ls-files", "-z")
    tracked = [path for path in (listed or "").split("\0") if path]
    encrypted = [path for path in tracked if _starts_with_header(top / path)]
    if not encrypted:
        return UnroutedFiles((), ())
    unset = _merge_unspecified(top, encrypted)
    plain = [path for path in unset if _PLAIN_PATH_RE.fullmatch(path)]
    return UnroutedFiles(
        tuple(f"/{path}" for path in plain), tuple(p for p in unset if p not in plain)
    )


def _starts_with_header(path: Path) -> bool:
    """A cheap look at a tracked file's first bytes (a symbolic link's target is not read)."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        with path.open("rb") as file:
            head = file.read(len(_BOM) + len(_PREFIX))
    except OSError:
        return False
    return head.removeprefix(_BOM).startswith(_PREFIX)


# Paths asked about in one check-attr: thousands of encrypted files must not reach the
# system's limit on a command line's length (ARG_MAX counts every argument's bytes).
_PATHS_PER_CALL = 500


def _merge_unspecified(top: Path, paths: list[str]) -> list[str]:
    unset: list[str] = []
    for start in range(0, len(paths), _PATHS_PER_CALL):
        batch = paths[start : start + _PATHS_PER_CALL]
        fields = (git(top, "check-attr", "-z", "merge", "--", *batch) or "").split("\0")
        unset += [fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "unspecified"]
    return unset


def missed_by_merge_driver(path: Path) -> bool:
    """Whether ``path``, an encrypted file just written, lies in a git work tree whose clone
    has envkeep's merge driver configured (`git-setup` ran) while no .gitattributes line
    routes it there, and git does not ignore it: a file encrypted under a new name after
    `git-setup` would be merged line by line until `git-setup` runs again. False without git."""
    where = path.resolve().parent
    top = git(where, "rev-parse", "--show-toplevel")
    if top is None or git(where, "config", "--local", "--get", "merge.envkeep.driver") is None:
        return False
    root = Path(top.strip()).resolve()
    inside = path.resolve().relative_to(root).as_posix()
    if git(root, "check-ignore", "-q", "--", inside) is not None:  # ignored: never merged
        return False
    return _merge_unspecified(root, [inside]) == [inside]
