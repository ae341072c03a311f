"""What `envkeep encrypt --force` keeps of the encrypted file it replaces: the file's text, for
the ciphertexts of unchanged values (``filecrypt.encrypt_dotenv(previous=...)``), and, in
passphrase mode, its Argon2id salt.

Fresh nonces for every value would change every line of a committed ``.env.enc`` on each
encryption, and its diff would no longer show what changed. The unchanged values can keep
their ciphertexts only under the same file key, and a passphrase key is the same only with the
same salt and costs: so the replaced file's salt is kept when the passphrase opens that file.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from envkeep.client._fileheader import format_version, key_fields
from envkeep.client.filecrypt import (
    FileKey,
    decrypt_dotenv,
    is_encrypted,
    key_matches,
    passphrase_key,
    passphrase_key_for_header,
    read_header,
)
from envkeep.core.dotenv import scan_dotenv
from envkeep.core.errors import EnvkeepError
from envkeep.crypto import DEFAULT_KDF

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

# The costs a new file gets; a replaced file with others is not worth an Argon2id run (and an
# edited header must not choose how much this machine spends).
_DEFAULT_COSTS = (str(DEFAULT_KDF.memory_kib), str(DEFAULT_KDF.iterations), str(DEFAULT_KDF.lanes))


def replaced_file(path: Path) -> str | None:
    """The text of the encrypted file at ``path`` that an encrypt is about to replace; None if
    there is none, or it is unreadable, not UTF-8 or not envkeep-encrypted (never an error: the
    file is being replaced anyway)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if is_encrypted(text) else None


def passphrase_key_for_replacing(passphrase: str, replaced: str | None) -> FileKey:
    """The key to encrypt a file to ``passphrase``: the key of the ``replaced`` file (its salt and
    costs) if the passphrase opens it, so its unchanged values can keep their ciphertexts; else
    a key with a fresh salt. Argon2id runs at most once per salt."""
    kept = _key_of(replaced, passphrase) if replaced is not None else None
    return kept or passphrase_key(passphrase)


def _key_of(replaced: str, passphrase: str) -> FileKey | None:
    with contextlib.suppress(EnvkeepError):
        header = read_header(replaced)
        if header is not None and _has_default_costs(header):
            key = passphrase_key_for_header(header, passphrase)
            return key if key_matches(replaced, key.key) else None
    return None


def _has_default_costs(header: Mapping[str, str]) -> bool:
    return "kdf" in header and (header["m"], header["t"], header["p"]) == _DEFAULT_COSTS


def changed_names(replaced: str | None, written: str, key: FileKey) -> tuple[str, ...] | None:
    """The variables whose values ``written`` changed, added or removed against the encrypted
    file it ``replaced``, told by their ciphertexts (an unchanged value keeps its own), in the
    order of the files; None when ``replaced`` is no file of the same key and format, or does
    not open with ``key`` (its line endings converted by git, edited): every value was
    encrypted afresh. A plain file decrypted before a pull or a merge puts back the values it
    held then: naming what changed shows such a value changed too."""
    if replaced is None or not _same_key_and_format(replaced, written):
        return None
    with contextlib.suppress(EnvkeepError):
        decrypt_dotenv(replaced, key.key)  # its ciphertexts were kept only if it opens
        before, after = _tokens(replaced), _tokens(written)
        changed = (key for key in {**after, **before} if before.get(key) != after.get(key))
        return tuple(dict.fromkeys(name for name, _occurrence in changed))
    return None


def older_key_version(replaced: str | None, written: str) -> int | None:
    """The key version of the ``replaced`` file when it was under an older key version of the
    environment ``written`` is encrypted to (a `git revert` of a re-encryption puts one back):
    every value was then encrypted afresh with the current key. None otherwise."""
    with contextlib.suppress(EnvkeepError):
        before = read_header(replaced or "") or {}
        after = read_header(written) or {}
        if "env_id" in before and before.get("env_id") == after.get("env_id"):
            old, new = int(before["key_version"]), int(after["key_version"])
            return old if old < new else None
    return None


def _same_key_and_format(replaced: str, written: str) -> bool:
    same_format = format_version(replaced) == format_version(written)
    return same_format and key_fields(replaced) == key_fields(written)


def _tokens(text: str) -> dict[tuple[str, int], str]:
    """Each entry's ciphertext by its name and occurrence (the header line is a comment)."""
    tokens: dict[tuple[str, int], str] = {}
    seen: dict[str, int] = {}
    for entry in scan_dotenv(text):
        seen[entry.name] = seen.get(entry.name, -1) + 1
        tokens[entry.name, seen[entry.name]] = entry.value
    return tokens
