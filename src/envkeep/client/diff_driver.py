"""envkeep as git's diff driver for encrypted dotenv files: `git diff`, `git log -p` and `git
show` of a ``.env.enc`` show the names and values that changed instead of ciphertext.

``envkeep git-setup --diff`` marks the files ``diff=envkeep`` in ``.gitattributes`` (committed,
inert in a clone without the config: git diffs the ciphertext there) and sets
``diff.envkeep.textconv`` in the clone's own config to `envkeep textconv`, which prints each
version decrypted, under a line naming the key it was under. Showing plain values is opt-in per
clone, as the merge driver is: a CI job or a teammate's clone sees ciphertext until they run
it themselves.

Never cached: with ``diff.envkeep.cachetextconv`` git would store every decrypted version in
the repository (``refs/notes/textconv/envkeep``), plain values on disk for good. `git-setup
--diff` sets it to false in the clone's config (over a global true), and `textconv` checks it
on every run and prints the ciphertext, saying why, if anything turned it on.

`textconv` never fails: git stops the whole `git log -p` at the first version a textconv
command fails on (a key version the reader was never granted, a passphrase not given, a
damaged file), so such a version is printed as it is, under a line saying why.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client import filecrypt, merge_driver, secretfiles
from envkeep.core.errors import EnvkeepError, UsageError
from envkeep.core.projectfile import find_project_file, load_project_file

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.secretfiles import Passphrase

TEXTCONV_ARGUMENTS = "textconv"
CACHE_KEY = "diff.envkeep.cachetextconv"
_MARK = "# envkeep:"


@dataclass(frozen=True)
class DiffSetup:
    """What `git-setup --diff` set in the clone's config: the textconv command, whether it was
    set already, and whether caching was on before (now off); ``unseen_project``: the
    project (name, envkeep.toml) that textconv, run in the repository's top directory as git
    runs it, would not find there (its envkeep.toml is in a subdirectory)."""

    textconv: str
    set_now: bool
    cache_was_on: bool
    unseen_project: tuple[str, Path] | None = None


def set_up_diff_driver(cwd: Path, command: str) -> DiffSetup:
    """Set ``diff.envkeep.textconv`` to ``command textconv`` and caching off in the clone's
    config of the repository holding ``cwd``."""
    textconv = f"{command} {TEXTCONV_ARGUMENTS}"
    cache_was_on = _caching(cwd)
    set_now = merge_driver.set_config(cwd, "diff.envkeep", {"textconv": textconv})
    if merge_driver.git(cwd, "config", "--local", CACHE_KEY, "false") is None:
        raise UsageError(f"git config could not set {CACHE_KEY}")
    return DiffSetup(textconv, set_now, cache_was_on, _unseen_project(cwd))


def _unseen_project(cwd: Path) -> tuple[str, Path] | None:
    """The project of ``cwd`` when git's textconv, run in the repository's top directory, would
    find another envkeep.toml there, or none (textconv is given a temporary copy: no path)."""
    found, top = find_project_file(cwd), merge_driver.git(cwd, "rev-parse", "--show-toplevel")
    if found is None or top is None or find_project_file(Path(top.strip())) == found:
        return None
    with contextlib.suppress(EnvkeepError):
        return load_project_file(found).project, found
    return None


def _caching(cwd: Path) -> bool:
    """Whether git would cache the textconv output of envkeep's diff driver (any config)."""
    found = merge_driver.git(cwd, "config", "--type=bool", "--get", CACHE_KEY)
    return found is not None and found.strip() == "true"


def textconv(ctx: ClientContext, path: Path, passphrase: Passphrase | None) -> str:
    """What `git diff` shows of the version of an encrypted file at ``path`` (a temporary copy
    git made): its plain text under a line naming its key; a file that is not encrypted as it
    is; one that cannot be opened, or while caching is on, as it is under a line saying why."""
    try:
        data = path.read_bytes()
    except OSError as error:  # run by hand: git's own copy is there
        return f"{_MARK} not decrypted: {path.name}: {error.strerror}\n"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:  # as it is, near enough: a change in it must still show
        raw = data.decode("utf-8", errors="replace")
        return f"{_MARK} not decrypted: {path.name} is not UTF-8 text\n{raw}"
    if not filecrypt.is_encrypted(text):
        return text
    if _caching(ctx.cwd):
        return (
            f"{_MARK} not decrypted: {CACHE_KEY} is on, which would store the plain values in"
            f" .git (refs/notes/textconv); turn it off: git config {CACHE_KEY} false\n{text}"
        )
    try:  # named as git names the file: the folder of git's temporary copy means nothing
        plain = secretfiles.opened_text(ctx, text, Path(path.name), passphrase, from_stdin=True)
    except EnvkeepError as error:  # the words say no value, as every error's
        hint = f" ({error.hint})" if error.hint else ""
        return f"{_MARK} not decrypted: {error.message}{hint}\n{text}"
    return f"{_MARK} decrypted, {_key_label(text)}\n{plain}"


def _key_label(text: str) -> str:
    """The key a file is under, as a diff should show it changing (a rotation, a revert)."""
    header = filecrypt.read_header(text) or {}
    if "kdf" in header:
        return "encrypted to a passphrase"
    return f"encrypted to key version {header.get('key_version', '?')} of '{header.get('env')}'"
