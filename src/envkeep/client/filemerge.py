"""`envkeep merge-file`: git's merge driver for encrypted dotenv files (``client/filecrypt``).

Git merges an ``.env.enc`` line by line: every pair of edits conflicts on the header's ``mac``,
and a hand-merged file no longer verifies. As a merge driver (``merge.envkeep.driver``, set by
`envkeep git-setup`), envkeep decrypts the three versions with the keys `decrypt` would use,
merges the plain texts value by value (``core/dotenv_merge``) and encrypts the result into our
version with our key, keeping our ciphertexts of unchanged values and their ciphertexts of the
values taken from them (under the same key), so the merge changes no line that neither side
changed.

The plain texts stay in memory: nothing decrypted is written to disk. On a conflict our file is
left untouched (still a valid encrypted file, which git keeps in the work tree) and the error
names the variables, never a value, with the commands to resolve it by hand.
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client import filecrypt, secretfiles
from envkeep.client._fileheader import key_fields
from envkeep.core.dotenv_merge import merge_dotenv
from envkeep.core.errors import ConflictError, WrongPassphrase
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.secretfiles import Passphrase
    from envkeep.core.dotenv import ParsedDotenv


@dataclass(frozen=True)
class Sides:
    """How messages name git's two sides: in a rebase git's "ours" is the branch being
    rebased onto and "theirs" the user's own commit, the other way round from a merge."""

    ours: str  # what the file is left as on a conflict
    ours_short: str
    theirs_short: str
    theirs_own: str  # whose changes a conflict leaves out of the file


MERGE_SIDES = Sides("our side", "ours", "theirs", "their")
REBASE_SIDES = Sides(
    "the side you are rebasing onto (git's ours in a rebase)",
    "upstream",
    "your commit",
    "your commit's",
)


@dataclass(frozen=True)
class MergedFile:
    """What a clean merge wrote: the key it encrypted to (``None``: the passphrase)."""

    environment: str | None


def merge_encrypted_files(
    ctx: ClientContext,
    base: Path,
    ours: Path,
    theirs: Path,
    *,
    name: str,
    passphrase: Passphrase | None,
    sides: Sides = MERGE_SIDES,
) -> MergedFile:
    """Merge the encrypted files ``ours`` and ``theirs``, two edits of ``base``, into ``ours``.

    ``name`` is the file's path in the repository, for messages. An empty ``base`` is an empty
    file (no common ancestor). ``ConflictError`` (``ours`` untouched) names the variables both
    sides changed differently; a file that does not decrypt raises what `decrypt` raises.
    ``sides``: how the messages name the two sides (``REBASE_SIDES`` during a rebase).
    """
    asked = functools.cache(passphrase) if passphrase is not None else None
    keys = _Keys(ctx, asked)
    paths = {"base": base, "ours": ours, "theirs": theirs}
    texts = {side: secretfiles.read_encrypted_text(path) for side, path in paths.items()}
    try:
        plain = {side: keys.decrypt(text, f"{name} ({side})") for side, text in texts.items()}
    except WrongPassphrase:
        _refuse_key_change(name, texts, sides, ("base", "ours", "theirs"))
        raise  # one key for every version: the passphrase given is wrong for all
    merged = merge_dotenv(plain["base"], plain["ours"], plain["theirs"])
    if merged.text is None:
        said = _disagreements(merged.conflicts, plain, sides)
        left_out = _left_out(merged.conflicts, plain)
        raise _conflict(name, said, texts["ours"], sides, left_out)
    _refuse_key_change(name, texts, sides)
    key = keys.for_encrypting(texts["ours"], name)
    if merged.text != plain["ours"]:
        encrypted = filecrypt.encrypt_dotenv(
            merged.text, key, source=name, previous=texts["ours"], others=(texts["theirs"],)
        )
        write_atomic(ours, encrypted.encode("utf-8"), mode=_mode(ours))
    return MergedFile((filecrypt.read_header(key.header) or {}).get("env"))


class _Keys:
    """The keys of the three versions, each derived once (a passphrase's Argon2id run costs)."""

    def __init__(self, ctx: ClientContext, passphrase: Passphrase | None) -> None:
        self.ctx = ctx
        self.passphrase = passphrase
        self.opened: dict[str, bytes] = {}

    def decrypt(self, text: str, source: str) -> str:
        if text == "":
            return ""
        from pathlib import Path

        header = key_fields(text)  # one key for its files of either format: derived once
        if header not in self.opened:
            key = secretfiles.opening_key(self.ctx, text, Path(source), self.passphrase)
            self.opened[header] = key
        return filecrypt.decrypt_dotenv(text, self.opened[header], source=source)

    def for_encrypting(self, ours: str, name: str) -> filecrypt.FileKey:
        """Our file's key: its passphrase with its salt, or its environment's current key."""
        from pathlib import Path

        header = key_fields(ours)
        if " kdf=" not in header:
            return secretfiles.current_environment_key(self.ctx, ours, Path(name))
        return filecrypt.FileKey(key=self.opened[header], header=header)


def _refuse_key_change(
    name: str, texts: dict[str, str], sides: Sides, compared: tuple[str, ...] = ("ours", "theirs")
) -> None:
    """A conflict when the two sides are encrypted to different keys: the merge encrypts to
    one, and taking ours would put a value their side sealed to another environment (or moved
    off a passphrase some outsider knew) back under the old key. One environment's key
    versions are one key (a rotation); an empty side has none. With the base ``compared`` too
    (a passphrase that opened not every version): no one passphrase opens them all."""
    held = {side: _key_identity(texts[side]) for side in compared if texts[side]}
    if len({identity for identity, _words in held.values()}) > 1:
        short = {"base": "the base", "ours": sides.ours_short, "theirs": sides.theirs_short}
        which = ", ".join(f"{words} on {short[side]}" for side, (_i, words) in held.items())
        two = "the two sides are" if len(held) == 2 else "its versions are"
        raise ConflictError(
            f"{name}: {two} encrypted to different keys ({which}); {name} is left as {sides.ours}",
            hint=f"decrypt each side, merge the plain files by hand and encrypt the result to"
            f" the key it should have (envkeep encrypt FILE -o {shlex.quote(name)} --env ENV"
            " --force, or --passphrase), then git add it",
        )


def _key_identity(text: str) -> tuple[str, str]:
    """What a file is encrypted to, and how to say it: an environment (by id, whatever its key
    version) or a passphrase (by its salt)."""
    header = filecrypt.read_header(text) or {}
    if "kdf" in header:
        salt = header.get("salt", "")
        return (f"passphrase:{salt}", f"a passphrase (salt {salt[:6]}…)")
    return (f"env:{header.get('env_id', '')}", f"environment {header.get('env', '?')}")


def _disagreements(names: tuple[str, ...], plain: dict[str, str], sides: Sides) -> str:
    """What each side did to the names that do not merge: both changed it, both added it,
    or one deleted (an occurrence of) it and the other changed it (``API_KEY (theirs deleted
    it, ours changed it)``); a conflict that is no name (comment lines) as it is."""
    from collections import Counter

    from envkeep.core.dotenv import parse_dotenv

    parsed = {side: parse_dotenv(text) for side, text in plain.items()}
    held = {side: Counter(e.name for e in found.entries) for side, found in parsed.items()}
    said = []
    for name in names:
        base, ours, theirs = (held[side][name] for side in ("base", "ours", "theirs"))
        if not (base or ours or theirs):  # not a variable: the comment lines near one
            said.append(name)
        elif not base:
            said.append(f"{name} (both added it, differently)")
        elif theirs < base <= ours:
            kept = _changed_beside(parsed, name, "ours")
            said.append(f"{name} ({sides.theirs_short} deleted it, {sides.ours_short} {kept})")
        elif ours < base <= theirs:
            kept = _changed_beside(parsed, name, "theirs")
            said.append(f"{name} ({sides.ours_short} deleted it, {sides.theirs_short} {kept})")
        else:
            said.append(f"{name} (both changed it, differently)")
    return ", ".join(said)


def _changed_beside(parsed: dict[str, ParsedDotenv], name: str, side: str) -> str:
    """What ``side``, which kept ``name``, did there: changed its value, or only the lines
    around it (a comment above it), which the other side's deletion took too."""
    if parsed[side].values.get(name) == parsed["base"].values.get(name):
        return "changed a line next to it"
    return "changed it"


def _left_out(conflicts: tuple[str, ...], plain: dict[str, str]) -> tuple[str, ...]:
    """The variables their side changed, added or deleted that do merge, but are not in our
    side, which a conflict leaves as the file: resolving only the names in conflict would drop
    them without a word."""
    from envkeep.core.dotenv import parse_dotenv

    base, ours, theirs = (parse_dotenv(plain[side]).values for side in ("base", "ours", "theirs"))
    return tuple(
        name
        for name in dict.fromkeys([*base, *theirs])
        if name not in conflicts and base.get(name) != theirs.get(name) != ours.get(name)
    )


def _conflict(
    name: str, names: str, ours: str, sides: Sides, left_out: tuple[str, ...] = ()
) -> ConflictError:
    header = filecrypt.read_header(ours) or {}
    key = f"--env {header['env']}" if "env" in header else "--passphrase"
    # A file of its own: the plain file beside it is usually the user's source, which a
    # decrypt would have to overwrite (--force) and the last step would delete.
    plain = shlex.quote(f"{name.removesuffix('.enc')}.merge")
    path = shlex.quote(name)
    lacks = (
        f"; it lacks {sides.theirs_own} changes to {', '.join(left_out)}, which do merge:"
        f" take them too"
        if left_out
        else ""
    )
    return ConflictError(
        f"{name}: the two sides do not merge on {names};"
        f" {name} is left as {sides.ours}, still encrypted{lacks}",
        hint=f"resolve it by hand: envkeep decrypt {path} -o {plain} ({sides.ours_short});"
        f" git show :3:{path} | envkeep decrypt - -o - ({sides.theirs_short}); edit {plain}, then"
        f" envkeep encrypt {plain} -o {path} {key} --force and git add {path};"
        f" delete {plain} then (values in clear)",
    )


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644
