"""`run --file` and `encrypt` refuse a .env that dotenvx or SOPS encrypted.

Such a file is plain dotenv to envkeep, its values ciphertext: `envkeep run -f .env.production`,
the command a dotenvx user types, ran the program with `encrypted:BD…` as its database URL,
and `encrypt` sealed the ciphertext under a second key. Both are refused (nothing run, nothing
written), naming the variables (never a value), with the other tool's command that decrypts
the file in place, then envkeep's that encrypts it.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.integrations.dotenvx_ciphertext import dotenvx_encrypted_names, dotenvx_refusal
from envkeep.integrations.sops_ciphertext import sops_encrypted_names, sops_refusal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["refuse_foreign_ciphertext"]


def refuse_foreign_ciphertext(values: Mapping[str, str], source: Path, *, doing: str) -> None:
    """Raise ``InputError`` if the plain dotenv ``values`` of ``source`` are dotenvx or SOPS
    ciphertext; ``doing``: what the command would do with them ("run would pass to the
    command")."""
    file = shlex.quote(str(source))
    then = f", then encrypt it with envkeep: envkeep encrypt {file} -o {file} --force --env ENV"
    dotenvx = dotenvx_encrypted_names(values)
    if dotenvx:
        hint = f"decrypt it in place: dotenvx decrypt -f {file}{then}"
        raise dotenvx_refusal(str(source), dotenvx, doing=doing, hint=hint)
    sops = sops_encrypted_names(values)
    if sops is not None:
        hint = f"decrypt it in place: sops -d -i {file}{then}"
        raise sops_refusal(str(source), sops, doing=doing, hint=hint)
