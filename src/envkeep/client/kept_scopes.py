"""Which workspace and project an environment's kept copies (``client/offline``) are of, told by
file names in its folder, so that deleting a workspace's or a project's copies finds them
without reading every copy.

`forget_workspace` and `forget_project` read and parsed every copy of every environment, under
the lock every save waits on, to find the few of one workspace. A save now leaves a mark beside
its copy for each scope the copy is in (``.scope-<digest>``: not ``*.json``, which the copies
are), and a deletion lists the folders' names. A folder with no mark was kept by an envkeep from
before the marks: its copies are read, as before.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from envkeep.client.kept_refusals import project_scope, workspace_scope

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from envkeep.client.kept_copy import KeptCopy

_PREFIX = ".scope-"
# The mark of a copy that names no workspace (not a snapshot): marked all the same, not read.
_NONE = _PREFIX + "none"


def scopes_of(copy: KeptCopy) -> list[str]:
    """The workspace and project scopes ``copy`` is in (none when it names no workspace)."""
    workspace, project = copy.project
    if workspace is None:
        return []
    if project is None:
        return [workspace_scope(workspace)]
    return [workspace_scope(workspace), project_scope(workspace, project)]


def mark(copy: KeptCopy) -> None:
    """Mark ``copy``'s folder with its scopes (OSError if it cannot be written)."""
    for name in [_mark_name(s) for s in scopes_of(copy)] or [_NONE]:
        marked = copy.path.parent / name
        if not marked.exists():
            marked.touch(mode=0o600)


def folders_in(directory: Path, scope: str, chosen: Callable[[Path], bool]) -> set[Path]:
    """The folders of ``directory`` whose copies are in ``scope``: marked with it, or unmarked
    and holding a copy ``chosen`` (read from its file) says is."""
    wanted = _mark_name(scope)
    return {folder for folder in _subfolders(directory) if _in_scope(folder, wanted, chosen)}


def _in_scope(folder: Path, wanted: str, chosen: Callable[[Path], bool]) -> bool:
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:  # deleted meanwhile (a deletion that did not have the lock in time)
        return False
    if wanted in names:
        return True
    if any(n.startswith(_PREFIX) for n in names):
        return False  # marked, with other scopes
    return any(chosen(folder / n) for n in names if n.endswith(".json"))


def _subfolders(directory: Path) -> list[Path]:
    try:
        with os.scandir(directory) as entries:
            return [directory / e.name for e in entries if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def _mark_name(scope: str) -> str:
    return _PREFIX + hashlib.sha256(scope.encode()).hexdigest()[:16]
