"""`run --file` and `encrypt` refuse a .env that dotenvx or SOPS encrypted; `decrypt` given
one names the other tool's decrypt.

Such a file is plain dotenv to envkeep, its values ciphertext: `envkeep run -f .env.production`,
the command a dotenvx user types, ran the program with `encrypted:BD…` as its database URL,
and `encrypt` sealed the ciphertext under a second key. Both are refused (nothing run, nothing
written), naming the variables (never a value), with the other tool's command that decrypts
the file in place, then envkeep's that encrypts it. `decrypt` (and the merge and diff drivers,
which open files as it does) said such a file was plain and to encrypt it with envkeep.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.core.dotenv import parse_dotenv
from envkeep.core.errors import InputError, ParseError
from envkeep.integrations.dotenvx_ciphertext import dotenvx_encrypted_names, dotenvx_refusal
from envkeep.integrations.sops_ciphertext import (
    sops_ciphertext_in,
    sops_encrypted_names,
    sops_refusal,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.client.file_source import FileSource

__all__ = ["foreign_decrypt_refused", "refuse_foreign_ciphertext"]

# Each tool's decrypt of a file: in place, and to stdout.
_DECRYPTS = {
    "dotenvx": ("dotenvx decrypt -f {}", "dotenvx decrypt -f {} --stdout"),
    "SOPS": ("sops -d -i {}", "sops -d {}"),
}


def refuse_foreign_ciphertext(values: Mapping[str, str], source: FileSource, *, doing: str) -> None:
    """Raise ``InputError`` if the plain dotenv ``values`` of ``source`` are dotenvx or SOPS
    ciphertext; ``doing``: what the command would do with them ("run would pass to the
    command"); from standard input (`encrypt -`), the file is to be piped in decrypted."""
    from envkeep.client.file_source import StandardInput

    from_stdin = isinstance(source, StandardInput)
    dotenvx = dotenvx_encrypted_names(values)
    if dotenvx:
        hint = _decrypt_first(source, "dotenvx", from_stdin=from_stdin)
        raise dotenvx_refusal(str(source), dotenvx, doing=doing, hint=hint)
    sops = sops_encrypted_names(values)
    if sops is not None:
        hint = _decrypt_first(source, "SOPS", from_stdin=from_stdin)
        raise sops_refusal(str(source), sops, doing=doing, hint=hint)


def _decrypt_first(source: FileSource, tool: str, *, from_stdin: bool) -> str:
    """The other tool's decrypt, then envkeep's encrypt: in place for a file (its name stays in
    git), piped for stdin (no plain text on disk)."""
    in_place, to_stdout = _DECRYPTS[tool]
    if from_stdin:
        piped = to_stdout.format("FILE")
        return f"pipe it in decrypted: {piped} | envkeep encrypt - -o FILE.enc --env ENV"
    file = shlex.quote(str(source))
    return (
        f"decrypt it in place: {in_place.format(file)}, then encrypt it with envkeep:"
        f" envkeep encrypt {file} -o {file} --force --env ENV"
    )


def foreign_decrypt_refused(
    text: str, source: FileSource | str, *, from_stdin: bool
) -> InputError | None:
    """The refusal of a file with no envkeep header that dotenvx or SOPS encrypted (``text``:
    its text), naming the tool's own decrypt; None when neither did. An ``InputError`` (exit 1),
    as `encrypt` and `run -f` refuse such a file: the file's contents, not the command line,
    are what envkeep cannot use."""
    tool = _encrypted_by(text)
    if tool is None:
        return None
    file = "FILE" if from_stdin else shlex.quote(str(source))
    command = _DECRYPTS[tool][1].format(file)
    return InputError(
        f"{source} is encrypted by {tool}, not by envkeep",
        hint=f"decrypt it with {tool}: {command}",
    )


def _encrypted_by(text: str) -> str | None:
    """'dotenvx' or 'SOPS' when that tool encrypted ``text``, as `import` tells it."""
    try:
        values = parse_dotenv(text, as_stored=False).values
    except ParseError:  # SOPS's YAML, JSON or INI
        return "SOPS" if sops_ciphertext_in(text) else None
    if dotenvx_encrypted_names(values):
        return "dotenvx"
    return "SOPS" if sops_encrypted_names(values) is not None else None
