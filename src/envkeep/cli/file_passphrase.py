"""The passphrase of a passphrase-encrypted file (`encrypt --passphrase`, `decrypt`, the merge
driver, `run --file`): ENVKEEP_FILE_PASSPHRASE, else a terminal prompt; and the new one
`reencrypt --new-passphrase` encrypts the files to: ENVKEEP_NEW_FILE_PASSPHRASE, else a prompt.

Never ENVKEEP_PASSPHRASE. That one unlocks the identity (or logs in to a team server), while a
file's passphrase is handed to whoever should open the file, and the file goes into git, where
anyone with the repository may guess at it offline: taking one for the other gave the account's
passphrase away with the file."""

from __future__ import annotations

import functools
import getpass

from envkeep.cli.state import interactive
from envkeep.client.identity import MIN_PASSPHRASE
from envkeep.core.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from envkeep.client.secretfiles import Passphrase
    from envkeep.settings import Settings

FILE_PASSPHRASE = "ENVKEEP_FILE_PASSPHRASE"  # noqa: S105 - a variable's name, not a secret
NEW_FILE_PASSPHRASE = "ENVKEEP_NEW_FILE_PASSPHRASE"  # noqa: S105 - a variable's name


def passphrase_source(settings: Settings, *, confirm: bool) -> Passphrase:
    """Where a file's passphrase comes from, asked only when a file needs one. A new one
    (``confirm``: encrypting) is typed twice, needs ``MIN_PASSPHRASE`` characters whichever way
    it came, and may not be ENVKEEP_PASSPHRASE's. Opening a file takes the passphrase it was
    written with, whatever its length."""

    def ask() -> str:
        given = settings.file_passphrase or _typed(settings, confirm=confirm)
        if confirm:
            _check_new(settings, given, FILE_PASSPHRASE if settings.file_passphrase else None)
        return given

    return ask


def passphrase_change(settings: Settings) -> tuple[Passphrase, Passphrase]:
    """The files' passphrase now (as `passphrase_source` opens a file) and the new one:
    ENVKEEP_NEW_FILE_PASSPHRASE, else typed twice on a terminal, held to what a new file
    passphrase must be. Each is asked for once, when first needed, whatever number of files
    takes it."""
    old = functools.cache(passphrase_source(settings, confirm=False))

    @functools.cache
    def new() -> str:
        given = settings.new_file_passphrase
        if given is None:
            if not interactive(settings):
                raise UsageError(
                    f"no new passphrase for the files: {NEW_FILE_PASSPHRASE} is not set and"
                    " there is no terminal to ask on; nothing was written",
                    hint=settings.withheld_hint(NEW_FILE_PASSPHRASE)
                    or f"set {NEW_FILE_PASSPHRASE} to the new passphrase and"
                    f" {FILE_PASSPHRASE} to the files' current one",
                )
            given = _prompted("New file passphrase: ", twice=True)
        named = NEW_FILE_PASSPHRASE if settings.new_file_passphrase else None
        _check_new(settings, given, named, instead="")
        return given

    return old, new


def _typed(settings: Settings, *, confirm: bool) -> str:
    if not interactive(settings):
        raise UsageError(
            f"no passphrase for the file: {FILE_PASSPHRASE} is not set and there is no terminal"
            " to ask on",
            hint=settings.withheld_hint(FILE_PASSPHRASE) or _unset_hint(confirm=confirm),
        )
    return _prompted("File passphrase: ", twice=confirm)


def _prompted(prompt: str, *, twice: bool) -> str:
    """A passphrase typed at ``prompt`` (``twice``: a new one, typed again to match)."""
    given = getpass.getpass(prompt)
    if twice and getpass.getpass("Repeat it: ") != given:
        raise UsageError("the two passphrases differ; nothing was written")
    return given


def _unset_hint(*, confirm: bool) -> str:
    if confirm:
        return (
            f"set {FILE_PASSPHRASE} to a passphrase of the file's own, never your identity's"
            " or login's (ENVKEEP_PASSPHRASE is not used for files)"
        )
    return (
        f"set {FILE_PASSPHRASE} to the file's passphrase (ENVKEEP_PASSPHRASE is not used for"
        " files, even one an earlier envkeep encrypted with it)"
    )


# `_check_new`'s other way out, for `encrypt --passphrase` (a change keeps the passphrase).
_OR_THE_KEY = ", or encrypt to the environment's key instead: drop --passphrase"


def _check_new(
    settings: Settings, given: str, variable: str | None, *, instead: str = _OR_THE_KEY
) -> None:
    """Refuse a new file passphrase that is the identity's or login's, or too short;
    ``variable``: the one it came from (None: typed); ``instead``: the hints' other way out."""
    source = variable or "the passphrase"
    if given == settings.passphrase:
        raise UsageError(
            f"{source} is the one in ENVKEEP_PASSPHRASE, which unlocks your identity or logs in"
            " to your server: whoever is given the file's passphrase, or guesses it offline from"
            " the file in git, would have it; nothing was written",
            hint=f"choose a passphrase for the file alone{instead}",
        )
    if len(given) < MIN_PASSPHRASE:
        raise UsageError(
            f"{source} has {len(given)} characters; a file's passphrase needs at least"
            f" {MIN_PASSPHRASE}: the encrypted file may end up anywhere its repository goes,"
            " where guesses cost nothing but time; nothing was written",
            hint=f"choose a longer one (a few random words){instead}",
        )
