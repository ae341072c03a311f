"""Signatures this identity has already verified, remembered so that reading an environment
again does not pay ~90 µs per unchanged value (DESIGN §4: readers verify every version).

Each entry is a 16-byte HMAC tag under a key derived from the identity's private signing key
(``crypto.verification_tag``): a tag cannot be made without that key, so a planted entry cannot
make a forged signature pass. The file is append-only; a torn last entry is ignored; deleting the
file only means signatures are verified again.

A signature this identity has just made (``remember_own``: a key rotation's thousands of
rewrites) is entered as verified without a check: it was made with the key the check would
use, over the parts the tag covers, so the rotation after it does not check it again.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from envkeep import crypto

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

TAG_SIZE = 16
MAX_ENTRIES = 200_000  # about 3 MiB; past it the file starts over


class VerifiedSignatures:
    """A ``verify`` that consults, and extends, the identity's cache of verified signatures."""

    def __init__(self, path: Path, keys: crypto.PrivateKeys) -> None:
        self._path = path
        self._key = crypto.verification_cache_key(keys)
        self._own = keys.public()
        self._known = self._load()
        self._new: list[bytes] = []

    def _load(self) -> set[bytes]:
        try:
            data = self._path.read_bytes()
        except OSError:  # missing, or a home this user cannot read: verify every signature
            return set()
        whole = len(data) - len(data) % TAG_SIZE
        return {data[i : i + TAG_SIZE] for i in range(0, whole, TAG_SIZE)}

    def __call__(self, signer: crypto.PublicKeys, signature: bytes, parts: Sequence[bytes]) -> None:
        """Verify like ``crypto.verify``, skipping the Ed25519 check for a remembered signature."""
        tag = crypto.verification_tag(self._key, signer, signature, parts)
        if tag in self._known:
            return
        crypto.verify(signer, signature, parts)
        self._known.add(tag)
        self._new.append(tag)

    def remember_own(self, signature: bytes, parts: Sequence[bytes]) -> None:
        """Enter a signature this identity made over ``parts`` as verified (only its own key
        is tagged: the signer is not the caller's to name)."""
        tag = crypto.verification_tag(self._key, self._own, signature, parts)
        if tag not in self._known:
            self._known.add(tag)
            self._new.append(tag)

    def save(self) -> None:
        """Append what was verified since loading (best effort: a cache, not a record)."""
        if not self._new:
            return
        from envkeep.core.files import make_private_directory

        try:
            make_private_directory(self._path.parent)
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            if len(self._known) > MAX_ENTRIES:
                flags |= os.O_TRUNC
            fd = os.open(self._path, flags, 0o600)
            try:
                os.write(fd, b"".join(self._new))
            finally:
                os.close(fd)
        except OSError:
            return  # a read-only home still works; it just verifies every time
        self._new.clear()
