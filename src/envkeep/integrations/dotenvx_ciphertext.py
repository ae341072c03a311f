"""Refusing a dotenvx-encrypted ``.env``: its values are ciphertext, not what a service needs.

``dotenvx encrypt`` rewrites each value as ``encrypted:`` and base64, decrypted only by
``dotenvx run`` with the private key of ``.env.keys``. Imported as it is, envkeep would store
and hand every service that text. The import is refused, naming the variables (never a value),
with the command that decrypts the file into it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.errors import InputError
from envkeep.core.file_source import named

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.core.file_source import FileSource

__all__ = ["dotenvx_encrypted_names", "dotenvx_refusal", "refuse_dotenvx_ciphertext"]

# dotenvx's ECIES ciphertext, base64: far longer than any word a value would start with.
_CIPHERTEXT_RE = re.compile(r"encrypted:[A-Za-z0-9+/]{20,}={0,2}")


def dotenvx_encrypted_names(values: Mapping[str, str]) -> list[str]:
    """The variables of ``values`` whose values are dotenvx ciphertext."""
    return [name for name, value in values.items() if _CIPHERTEXT_RE.fullmatch(value)]


def refuse_dotenvx_ciphertext(values: Mapping[str, str], source: FileSource | str) -> None:
    """Raise ``InputError`` if a value of ``values`` (from ``source``) is dotenvx ciphertext."""
    encrypted = dotenvx_encrypted_names(values)
    if not encrypted:
        return
    file = named(source)
    raise dotenvx_refusal(
        str(source),
        encrypted,
        doing="envkeep would store",
        hint=f"decrypt it into the import: dotenvx decrypt -f {file} --stdout | envkeep import -"
        " (with your --env and --service)",
    )


def dotenvx_refusal(source: str, encrypted: list[str], *, doing: str, hint: str) -> InputError:
    """The refusal of ``source``, whose ``encrypted`` values (up to five named) ``doing`` (what
    envkeep would do with them: "envkeep would store") as they are."""
    shown = ", ".join(encrypted[:5]) + (f" and {len(encrypted) - 5} more" if encrypted[5:] else "")
    return InputError(
        f"{source} is encrypted by dotenvx: the values of {shown} are ciphertext"
        f" ('encrypted:…'), which {doing} as it is",
        hint=hint,
    )
