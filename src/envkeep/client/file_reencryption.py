"""`envkeep reencrypt`: encrypted files (``client/filecrypt``) brought in place under their
environment's current key version, or files encrypted to a passphrase under a new one
(``--new-passphrase``), the plain text in memory only.

A key rotation leaves a file `encrypt` wrote under the old key version (``file_key_versions``),
which a member granted afterwards does not hold; a passphrase handed to someone who should no
longer open the file is changed the same way. Decrypting it to a plain file and encrypting
that again put the secrets on disk, where a secrets tool should not ask them to be; here each
file is opened as `decrypt` opens it (key, every value, the whole file verified), encrypted
again from that exact text to the current key (or the new passphrase, with a salt of its
own), and swapped in by a rename.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client import filecrypt, secretfiles
from envkeep.client.file_key_versions import reencrypt_command
from envkeep.core.errors import ConflictError, EnvkeepError, StoreError, UsageError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.secretfiles import Passphrase


@dataclass(frozen=True)
class Reencryption:
    """What became of one file: its environment (by its name now) and the key version the file
    was under, then is under (the same: it was current already, and left as it was); or, with
    ``new_passphrase``, a file encrypted to a passphrase, now to the new one (no environment,
    no key versions)."""

    path: Path
    environment: str
    was: int
    now: int
    new_passphrase: bool = False

    @property
    def rewritten(self) -> bool:
        return self.new_passphrase or self.was != self.now


@dataclass(frozen=True)
class PassphraseChange:
    """``reencrypt --new-passphrase``: the passphrase the files open with, and the new one
    (each asked for once, when the first file needs it)."""

    old: Passphrase
    new: Passphrase


@dataclass(frozen=True)
class _Planned:
    """A file re-encrypted in memory: the text to write (None: left as it is), where, and the
    mode it keeps."""

    done: Reencryption
    text: str | None
    target: Path
    mode: int
    read: str = ""  # the file's text as it was read (replaced only if it still is)


def reencrypt_files(
    ctx: ClientContext, paths: Sequence[Path], change: PassphraseChange | None = None
) -> list[Reencryption]:
    """Re-encrypt each encrypted file of ``paths`` in place with its environment's current key,
    or, given a passphrase ``change``, each file encrypted to the old passphrase with the new.

    Every file is opened and encrypted again in memory before any is written, so an error (a
    key version the caller does not hold, a damaged file, one encrypted to a passphrase, or,
    for a change, one encrypted to a key or to another passphrase) leaves them all as they
    were. A file under the current key version already is not written at all.
    Each other one is replaced atomically (temp file, fsync, rename), with the mode it had; a
    symbolic link keeps pointing at it. Decrypting the new file gives back the same bytes. A
    file whose text changed since it was read is left as it is (the edit is not lost), and a
    stop at any file names those re-encrypted already.
    """
    try:
        planned = [_planned(ctx, path, change) for path in _distinct(paths)]
    except EnvkeepError as error:  # a file that does not open: say that none was written
        if "nothing was written" not in error.message:
            error.message += "; nothing was written"
        raise
    written: list[Path] = []
    for plan in planned:
        if plan.text is None:
            continue
        try:
            _still_as_read(plan)
            write_atomic(plan.target, plan.text.encode("utf-8"), mode=plan.mode)
        except (ConflictError, OSError) as error:
            raise _stopped(error, plan, written) from error
        written.append(plan.done.path)
    return [plan.done for plan in planned]


def _still_as_read(plan: _Planned) -> None:
    """Refuse to replace a file that changed since it was read (an edit, a checkout): its
    new text would be lost under the re-encrypted old one."""
    if secretfiles.read_encrypted_text(plan.target) != plan.read:
        raise ConflictError(
            f"{plan.done.path} changed while it was being re-encrypted; it was left as it is",
            hint="run it again: "
            + reencrypt_command(str(plan.done.path), new_passphrase=plan.done.new_passphrase),
        )


def _stopped(error: ConflictError | OSError, plan: _Planned, written: list[Path]) -> EnvkeepError:
    """The refusal of a file found changed, or that could not be written, saying which files
    were re-encrypted already (each one whole: a rename replaced it)."""
    done = (
        f"; re-encrypted already: {', '.join(str(p) for p in written)}"
        if written
        else "; no file was rewritten"
    )
    if isinstance(error, ConflictError):
        return ConflictError(error.message + done, hint=error.hint)
    return StoreError(
        f"{plan.done.path} could not be written ({error}){done}",
        hint="check the file and its directory, then run it again",
    )


def _distinct(paths: Sequence[Path]) -> list[Path]:
    """``paths`` without a second name for a file already named (each file is written once)."""
    found: dict[Path, Path] = {}
    for path in paths:
        found.setdefault(path.resolve(), path)
    return list(found.values())


def _planned(ctx: ClientContext, path: Path, change: PassphraseChange | None) -> _Planned:
    text = secretfiles.read_encrypted_text(path)
    if change is not None:
        return _planned_passphrase(ctx, text, path, change)
    _refuse_passphrase_file(text, path)
    plain = secretfiles.opened_text(ctx, text, path, None)  # the old key: `decrypt`'s checks
    key = secretfiles.current_environment_key(ctx, text, path)
    environment = _label(key)
    was = _key_version(text)
    done = Reencryption(path, environment, was, key.key_version)
    target = path.resolve()
    if not done.rewritten:
        return _Planned(done, None, target, 0)
    encrypted = filecrypt.encrypt_dotenv(plain, key, source=str(path))
    return _Planned(done, encrypted, target, target.stat().st_mode & 0o777, text)


def _planned_passphrase(
    ctx: ClientContext, text: str, path: Path, change: PassphraseChange
) -> _Planned:
    """A passphrase file opened with the old passphrase and encrypted to the new one."""
    header = _header(text)
    if header is not None and "kdf" not in header:
        raise UsageError(
            f"{path} is encrypted to the key of environment"
            f" '{header.get('env', '?')}', not to a passphrase; nothing was written",
            hint="leave it out: --new-passphrase takes files encrypted with --passphrase"
            f" (re-encrypt this one without it: {reencrypt_command(str(path))})",
        )
    plain = secretfiles.opened_text(ctx, text, path, change.old)  # `decrypt`'s checks
    new = change.new()
    if new == change.old():
        raise UsageError(
            "the new passphrase is the one the files have now; nothing was written",
            hint="give the new passphrase in ENVKEEP_NEW_FILE_PASSPHRASE (or at the prompt),"
            " the current one in ENVKEEP_FILE_PASSPHRASE",
        )
    encrypted = filecrypt.encrypt_dotenv(plain, filecrypt.passphrase_key(new), source=str(path))
    target = path.resolve()
    done = Reencryption(path, "", 0, 0, new_passphrase=True)
    return _Planned(done, encrypted, target, target.stat().st_mode & 0o777, text)


def _header(text: str) -> dict[str, str] | None:
    """A file's header fields, or None where it has none or a damaged one (opening the file
    then says what is wrong)."""
    with contextlib.suppress(EnvkeepError):
        return filecrypt.read_header(text)
    return None


def _refuse_passphrase_file(text: str, path: Path) -> None:
    """A passphrase has no key versions: no rotation leaves such a file behind."""
    header = _header(text)
    if header is not None and "kdf" in header:
        raise UsageError(
            f"{path} is encrypted to a passphrase, which has no key versions: a key rotation"
            " leaves it as it is, and there is nothing to re-encrypt; nothing was written",
            hint="leave it out: reencrypt takes files encrypted to an environment's key"
            " (env=… in their first line); to change the file's passphrase instead:"
            f" {reencrypt_command(str(path), new_passphrase=True)}",
        )


def _key_version(text: str) -> int:
    """The key version of a file that has just opened (its header is valid)."""
    return filecrypt.file_environment(filecrypt.read_header(text) or {}).key_version


def _label(key: filecrypt.FileKey) -> str:
    return (filecrypt.read_header(key.header) or {}).get("env", "?")
