"""`envkeep encrypt`, `decrypt` and `reencrypt`: git-friendly encrypted .env files."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.committable import warn_committable
from envkeep.cli.file_passphrase import passphrase_change, passphrase_source
from envkeep.cli.options import complete_env
from envkeep.cli.state import make_context
from envkeep.client import secretfiles
from envkeep.client.file_source import FileSource, StandardInput
from envkeep.core.errors import InputError, UsageError

DecryptOutOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="Where to write (default: SOURCE without .enc, or stdout for stdin; - for stdout).",
    ),
]
EncryptOutOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Where to write (default: SOURCE.enc; - for stdout)."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]
PassOpt = Annotated[
    bool,
    typer.Option("--passphrase", help="Use a passphrase (ENVKEEP_FILE_PASSPHRASE, else a prompt)."),
]


def _to_stdout(out: Path | None) -> bool:
    """``-o -``: stdout, as for export (never a file named ``-``)."""
    return out is not None and str(out) == "-"


def _print(text: str) -> None:
    """The file's exact text on stdout (bytes: no newline translation)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def encrypt(
    source: Annotated[Path, typer.Argument(help="A .env file (- for stdin).")],
    out: EncryptOutOpt = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            "-e",
            help="Encrypt to this environment's key (default: the project's default).",
            autocompletion=complete_env,
        ),
    ] = None,
    passphrase: PassOpt = False,
    force: ForceOpt = False,
) -> None:
    """Encrypt each value of a .env file (names stay readable, safe to commit).

    Replacing a file encrypted with the same key (--force) keeps each unchanged value's
    ciphertext, so a diff of it shows only the lines that changed, and names the values it
    changed: a .env decrypted before a pull or merge puts back the values it held then.

    Read from stdin (-), it prints unless -o names a file, and no plain text touches the disk:
    dotenvx decrypt -f .env.production --stdout | envkeep encrypt - -o .env.production.enc

    Example: envkeep encrypt .env -o .env.enc --env dev
    """
    ctx = make_context()
    source_of = passphrase_source(ctx.settings, confirm=True) if passphrase else None
    read = _source(source, hint="give it UTF-8 text")
    if _to_stdout(out) or (isinstance(read, StandardInput) and out is None):
        _print(secretfiles.encrypted_text(ctx, read, env=env, passphrase=source_of))
        return
    written = secretfiles.encrypt_file(ctx, read, out, env=env, passphrase=source_of, force=force)
    key = "a passphrase" if passphrase else f"the key of environment '{ctx.default_env(env)}'"
    _say_written(written, key)
    _warn_unrouted(written.path)
    if isinstance(read, Path) and read.resolve() != written.path.resolve():  # in place: none
        _warn_plaintext_committable(source)


def _say_written(written: secretfiles.EncryptedFile, key: str) -> None:
    output.done(f"wrote {written.path} (encrypted to {key})")
    if written.changed is not None:
        output.done(f"values changed: {', '.join(written.changed) or 'none'}")
    if written.older is not None:
        output.done(
            f"every value was encrypted again with the current key: the file it replaced was"
            f" under key version {written.older}, from before a key rotation"
        )


def _warn_unrouted(path: Path) -> None:
    """A file encrypted under a new name after `git-setup` ran: git would merge it line by
    line (conflicting on its mac= line). Said, not fixed: .gitattributes is the team's file."""
    from envkeep.client.tracked_encrypted import missed_by_merge_driver

    if missed_by_merge_driver(path):
        output.done(
            f"warning: git would merge {path} line by line: no .gitattributes line routes it to"
            " envkeep's merge driver"
        )
        output.done(
            f"hint: git add {shlex.quote(str(path))}, then run envkeep git-setup (it adds the"
            " line for each tracked file) and commit .gitattributes"
        )


def _warn_plaintext_committable(source: Path) -> None:
    """As activate-all does for its .env files: the source, still in clear, is a file git would
    commit unless ignored."""
    from envkeep.client.git_exposure import files_exposed_to_git

    exposed = files_exposed_to_git(source.resolve().parent, [source])
    ignore = "add {} to the project's .gitignore (or delete it: the encrypted file keeps it)"
    warn_committable(Path.cwd(), exposed, ignore=ignore)


def decrypt(
    source: Annotated[Path, typer.Argument(help="An encrypted .env file (- for stdin).")],
    out: DecryptOutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Restore the exact original .env file from an encrypted one (-o - prints it).

    Read from stdin (-), it prints unless -o names a file: git show :3:.env.enc | envkeep
    decrypt - shows their side of a merge. A file encrypted to a passphrase takes
    ENVKEEP_FILE_PASSPHRASE, else asks for it (never ENVKEEP_PASSPHRASE).

    Example: envkeep decrypt .env.enc -o .env
    """
    ctx = make_context()
    passphrase = passphrase_source(ctx.settings, confirm=False)
    read = _source(source, hint="give the encrypted file as it is")
    if _to_stdout(out) or (isinstance(read, StandardInput) and out is None):
        _print(secretfiles.decrypted_text(ctx, read, passphrase=passphrase))
        return
    path = secretfiles.decrypt_file(ctx, read, out, passphrase=passphrase, force=force)
    output.done(f"wrote {path}")


def reencrypt(
    files: Annotated[
        list[Path], typer.Argument(help="Encrypted .env files, each rewritten in place.")
    ],
    new_passphrase: Annotated[
        bool,
        typer.Option(
            "--new-passphrase",
            help="Files encrypted to a passphrase: encrypt them to a new one"
            " (ENVKEEP_NEW_FILE_PASSPHRASE, else a prompt; the current one as decrypt takes it).",
        ),
    ] = False,
) -> None:
    """Re-encrypt encrypted .env files in place with their environment's current key.

    A key rotation (env rotate-key, a revocation) leaves a file under the old key version,
    which a member granted later does not hold. Each file is opened with the key it is under
    (you need to hold it), every value encrypted again with the current one, and the file
    replaced, mode kept; names, comments and order stay byte for byte. The plain text stays
    in memory. A file under the current key already is left as it is.

    With --new-passphrase, files encrypted with --passphrase are opened with the current
    passphrase (ENVKEEP_FILE_PASSPHRASE, else a prompt) and encrypted to a new one
    (ENVKEEP_NEW_FILE_PASSPHRASE, else asked twice), the same way. Every file is opened
    before any is written: one that does not open leaves them all as they were.

    Example: envkeep reencrypt .env.enc services/api/.env.enc

    Example: envkeep reencrypt --new-passphrase shared.env.enc
    """
    from envkeep.client.file_reencryption import PassphraseChange, reencrypt_files

    if any(str(path) == "-" for path in files):
        raise UsageError(
            "reencrypt rewrites files in place; it reads no stdin",
            hint="give the encrypted file's path (or several)",
        )
    # No kept offline copy: a copy from before a rotation would call its key current.
    ctx = make_context(writes=True)
    change = PassphraseChange(*passphrase_change(ctx.settings)) if new_passphrase else None
    for done in reencrypt_files(ctx, files, change):
        env = f"'{done.environment}'"
        if done.new_passphrase:
            output.done(f"re-encrypted {done.path} to the new passphrase")
        elif done.rewritten:
            output.done(
                f"re-encrypted {done.path} with key version {done.now} of {env}"
                f" (it was under version {done.was})"
            )
        else:
            output.done(
                f"{done.path} is under the current key of {env} (version {done.now}) already;"
                " left as it is"
            )


def _source(source: Path, *, hint: str) -> FileSource:
    """The file argument: ``-`` is standard input, read now (a file named ``-``: ./-); any
    other, a path (``stdin`` too: a file of that name)."""
    if str(source) != "-":
        return source
    try:
        return StandardInput(sys.stdin.buffer.read().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("stdin: not UTF-8 text", hint=hint) from None
