"""envkeep as git's merge driver for encrypted dotenv files: setting it up in a repository
(`envkeep git-setup`), and telling whether a file is being merged (for `decrypt`'s hints).

The driver takes two places: ``.gitattributes`` (committed, so every clone routes the files to
the driver named ``envkeep``, and marks them ``-text``: the whole-file mac covers the line
endings, so a clone with ``core.autocrlf`` would check out files that no longer verify) and
the clone's own ``.git/config`` (``merge.envkeep.driver``, which git never takes from a
repository: each clone runs `envkeep git-setup` once). A clone
without the config merges the files line by line, as before.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client.git_questions import NO_REPOSITORY_PROGRAMS
from envkeep.core.errors import UsageError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.tracked_encrypted import UnroutedFiles

DEFAULT_PATTERNS = ("*.env.enc", ".env.*.enc")
DRIVER_ARGUMENTS = "merge-file %O %A %B %P"
_NAME = "envkeep: encrypted dotenv files, merged value by value"
# -text: git never converts the line endings, which the file's mac covers (core.autocrlf).
_ATTRIBUTES = "merge=envkeep -text"
_DIFF = "diff=envkeep"  # git-setup --diff (client/diff_driver)
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
    marked: tuple[str, ...] = ()  # routed already, now marked -text too
    driver_set: bool = True  # False: the clone's config held this driver already
    uncommitted: bool = True  # .gitattributes differs from what git has committed
    diffed: tuple[str, ...] = ()  # routed already, now diff=envkeep too (--diff)
    found: tuple[str, ...] = ()  # tracked encrypted files no pattern covered, added by path
    unquotable: tuple[str, ...] = ()  # such files whose names a line cannot hold as they are

    @property
    def wrote_attributes(self) -> bool:
        return bool(self.added or self.marked or self.diffed or self.found)

    @property
    def changed(self) -> bool:
        return self.wrote_attributes or self.driver_set


def set_up_merge_driver(
    cwd: Path, patterns: tuple[str, ...], command: str, *, diff: bool = False
) -> GitSetup:
    """Route ``patterns`` to envkeep's merge driver in the repository holding ``cwd``, which
    runs ``command`` (the envkeep executable), and with ``diff`` to its diff driver too
    (``client/diff_driver`` sets its config); idempotent."""
    top = git(cwd, "rev-parse", "--show-toplevel")
    if top is None:
        raise UsageError(
            f"{cwd} is not in a git work tree",
            hint="run it in the repository that holds the encrypted files",
        )
    attributes = Path(top.strip()) / ".gitattributes"
    text = _read(attributes)
    text, marked = _marked(text, _sets_conversion, "-text")
    text, diffed = _marked(text, _sets_diff, _DIFF) if diff else (text, ())
    added, present = _routed(text, patterns)
    attributes_ = f"{_ATTRIBUTES} {_DIFF}" if diff else _ATTRIBUTES
    if added:
        text = _appended(text, [f"{pattern} {attributes_}" for pattern in added])
    if added or marked or diffed:
        write_atomic(attributes, text.encode("utf-8"), mode=_mode(attributes))
    text, found = _route_tracked_files(attributes, text, attributes_=attributes_)
    text, overridden = _unconvert_overridden(attributes, text)
    marked = tuple(dict.fromkeys((*marked, *overridden)))
    driver = f"{command} {DRIVER_ARGUMENTS}"
    driver_set = set_config(cwd, "merge.envkeep", {"name": _NAME, "driver": driver})
    uncommitted = bool(git(cwd, "status", "--porcelain", "--", str(attributes)))
    setup = GitSetup(attributes, added, present, driver, marked, driver_set, uncommitted, diffed)
    return replace(setup, found=found.patterns, unquotable=found.unquotable)


def _route_tracked_files(
    attributes: Path, text: str, *, attributes_: str
) -> tuple[str, UnroutedFiles]:
    """``text`` with a line for each tracked envkeep-encrypted file no line routes yet
    (`tracked_encrypted`), written; and those files."""
    from envkeep.client.tracked_encrypted import unrouted_encrypted_files

    found = unrouted_encrypted_files(attributes.parent)
    if found.patterns:
        text = _appended(text, [f"{pattern} {attributes_}" for pattern in found.patterns])
        write_atomic(attributes, text.encode("utf-8"), mode=_mode(attributes))
    return text, found


def set_config(cwd: Path, section: str, values: dict[str, str]) -> bool:
    """Set ``<section>.<key>`` in the clone's config to each of ``values``; whether any was
    not so already."""
    changed = False
    for key, value in values.items():
        name = f"{section}.{key}"
        if git(cwd, "config", "--local", "--get", name) == f"{value}\n":
            continue
        if git(cwd, "config", "--local", name, value) is None:
            raise UsageError(f"git config could not set {name}")
        changed = True
    return changed


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")  # line endings as they are
    except FileNotFoundError:
        return ""


def _routed(text: str, patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``patterns`` not routed to envkeep in ``text`` yet, and those that are."""
    routed = {words[0] for words in map(str.split, text.splitlines()) if _is_routed(words)}
    added = tuple(p for p in dict.fromkeys(patterns) if p not in routed)
    return added, tuple(p for p in patterns if p in routed)


def _marked(text: str, sets: Callable[[str], bool], attribute: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with ``attribute`` added to each line routing files to envkeep that has no
    word ``sets`` accepts (``-text``: an earlier git-setup's line leaves git free to convert
    the line endings; ``diff=envkeep`` asked for by ``--diff``), and those lines' patterns."""
    lines, marked = [], []
    for line in text.splitlines(keepends=True):
        words = line.split()
        if _is_routed(words) and not any(sets(word) for word in words[1:]):
            body = line.rstrip("\r\n")
            lines.append(f"{body} {attribute}{line[len(body) :]}")
            marked.append(words[0])
        else:
            lines.append(line)
    return "".join(lines), tuple(marked)


def _unconvert_overridden(attributes: Path, text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` (as written to ``attributes``) with ``PATTERN -text`` added last for each
    pattern routed to envkeep whose files git still converts: a later line (``* text=auto``)
    sets ``text`` again, and the last line that sets an attribute wins. Git is asked about a
    name each pattern matches; one it cannot be asked about (a bracket expression) is left."""
    overridden = []
    for words in map(str.split, text.splitlines()):
        ours = _is_routed(words) and "-text" in words[1:]  # a user's eol=… is theirs to keep
        sample = _sample_name(words[0]) if ours else None
        if sample is not None and _text_attribute(attributes.parent, sample) == "auto":
            overridden.append(words[0])
    overridden = list(dict.fromkeys(overridden))
    if overridden:
        text = _appended(text, [f"{pattern} -text" for pattern in overridden])
        write_atomic(attributes, text.encode("utf-8"), mode=_mode(attributes))
    return text, tuple(overridden)


def _appended(text: str, lines: list[str]) -> str:
    """``text`` with ``lines`` added at its end, each on a line of its own."""
    separator = "\n" if text and not text.endswith("\n") else ""
    return text + separator + "".join(f"{line}\n" for line in lines)


def _sample_name(pattern: str) -> str | None:
    """A path ``pattern`` matches (its wildcards made ``x``); None for a bracket expression."""
    if "[" in pattern or "\\" in pattern:
        return None
    return pattern.lstrip("/").replace("**", "x").replace("*", "x").replace("?", "x")


def _text_attribute(top: Path, name: str) -> str | None:
    """The ``text`` attribute git gives ``name`` in the work tree at ``top`` (``auto``,
    ``set``, ``unset``, ``unspecified``); None when git cannot say."""
    said = git(top, "check-attr", "text", "--", name)
    return None if said is None else said.strip().rpartition(": ")[2]


def _is_routed(words: list[str]) -> bool:
    """Whether a line's ``words`` route files to envkeep (a comment routes nothing)."""
    return len(words) > 1 and not words[0].startswith("#") and "merge=envkeep" in words[1:]


def _sets_diff(word: str) -> bool:
    """Whether an attribute says how git diffs the file (a user's ``-diff`` stands)."""
    return word.lstrip("-!").split("=")[0] == "diff"


def _sets_conversion(word: str) -> bool:
    """Whether an attribute says how git treats the file's line endings (a user's choice)."""
    return word.lstrip("-!").split("=")[0] in ("text", "eol", "binary", "crlf")


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
    found = git(where, "rev-parse", "--git-dir")
    if found is None:
        return False
    git_dir = where / found.strip()  # relative to where git ran, when not absolute
    return any((git_dir / name).exists() for name in names)


def git(cwd: Path, *args: str) -> str | None:
    """git's output, or None when it fails or cannot run."""
    program = shutil.which("git")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, *NO_REPOSITORY_PROGRAMS, "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def conflict_marker_line(text: str) -> int | None:
    """The line of the first conflict marker a line-by-line git merge left in ``text``, if any."""
    found = _MARKER_RE.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def merge_again_hint(path: Path) -> str:
    """What to do with an encrypted file git merged line by line."""
    quoted = shlex.quote(str(path))
    return (
        "set up envkeep's merge driver (envkeep git-setup), merge the file again"
        f" (git checkout -m {quoted}), then git add {quoted} if envkeep merged it"
    )
