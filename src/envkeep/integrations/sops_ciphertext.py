"""Refusing a SOPS-encrypted file: its values are ciphertext, not what a service needs.

``sops --encrypt`` keeps a YAML, JSON or dotenv file's keys and rewrites each value as
``ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]``, adding its metadata: a top-level ``sops`` object
(YAML, JSON) or ``sops_mac``, ``sops_version``, … lines (dotenv). Imported as it is, envkeep
would store that text and the metadata as variables and hand them to every service. The
import is refused, naming the variables (never a value), with the command that decrypts the
file into it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.errors import InputError
from envkeep.core.file_source import named

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.core.file_source import FileSource

__all__ = [
    "refuse_sops_document",
    "refuse_sops_dotenv",
    "sops_ciphertext_in",
    "sops_encrypted_names",
    "sops_refusal",
]

# SOPS's value envelope; the cipher is AES256_GCM in every SOPS release.
_CIPHERTEXT_RE = re.compile(r"ENC\[AES256_GCM,data:[^\]]*\]")
# The dotenv form of SOPS's metadata: every encrypted file carries its MAC and version.
_DOTENV_METADATA = ("sops_mac", "sops_version")


def sops_encrypted_names(values: Mapping[str, str]) -> list[str] | None:
    """The variables of a dotenv file ``values`` whose values are SOPS ciphertext, when the file
    is SOPS-encrypted (its metadata or a ciphertext in it); None when it is not."""
    encrypted = [
        name
        for name, value in values.items()
        if not name.startswith("sops_") and _CIPHERTEXT_RE.fullmatch(value)
    ]
    if encrypted or any(name in values for name in _DOTENV_METADATA):
        return encrypted
    return None


def sops_ciphertext_in(text: str) -> bool:
    """Whether the text of a file of any format (YAML, JSON, dotenv, INI) holds a SOPS value."""
    return _CIPHERTEXT_RE.search(text) is not None


def refuse_sops_dotenv(values: Mapping[str, str], source: FileSource | str) -> None:
    """Raise ``InputError`` if the dotenv file ``values`` (from ``source``) is SOPS-encrypted."""
    encrypted = sops_encrypted_names(values)
    if encrypted is not None:
        raise sops_refusal(str(source), encrypted, hint=_import_hint(source, ""))


def refuse_sops_document(
    document: Mapping[object, object], source: FileSource | str, fmt: str
) -> None:
    """Raise ``InputError`` if the JSON or YAML ``document`` is SOPS-encrypted: it holds SOPS's
    ``sops`` metadata object (with its ``mac``)."""
    metadata = document.get("sops")
    if not isinstance(metadata, dict) or "mac" not in metadata:
        return
    encrypted = [
        str(key) for key, value in document.items() if key != "sops" and _holds_ciphertext(value)
    ]
    raise sops_refusal(str(source), encrypted, hint=_import_hint(source, f" --format {fmt}"))


def sops_refusal(
    source: str, encrypted: list[str], *, hint: str, doing: str = "envkeep would store"
) -> InputError:
    """The refusal of a SOPS-encrypted ``source``, naming up to five of its ``encrypted``
    variables (top-level keys of a document); ``doing``: what envkeep would do with them."""
    if encrypted:
        shown = ", ".join(encrypted[:5])
        shown += f" and {len(encrypted) - 5} more" if encrypted[5:] else ""
        what = f"the values of {shown} are ciphertext ('ENC[AES256_GCM,…]')"
    else:
        what = "it holds SOPS's metadata"
    return InputError(f"{source} is encrypted by SOPS: {what}, which {doing} as it is", hint=hint)


def _import_hint(source: FileSource | str, format_option: str) -> str:
    file = named(source)
    return (
        f"decrypt it into the import: sops -d {file} | envkeep import -{format_option}"
        " (with your --env and --service)"
    )


def _holds_ciphertext(value: object) -> bool:
    if isinstance(value, str):
        return _CIPHERTEXT_RE.fullmatch(value) is not None
    if isinstance(value, dict):
        return any(_holds_ciphertext(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_ciphertext(item) for item in value)
    return False
