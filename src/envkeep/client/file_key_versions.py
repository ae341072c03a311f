"""Encrypted files (`envkeep encrypt`) under an older key version of their environment.

A key rotation (`env rotate-key`, and every revocation) makes a new data key and re-encrypts
the stored values, but not the files encrypted to the old key: they still open with it, for
whoever holds it, and a member granted after the rotation holds the current key only (grants
seal no older key). So: `decrypt` and `run --file` of such a file refuse naming the
`reencrypt` that brings it under the current key (``client/file_reencryption``), for someone
who holds the old one, and a rotation names the files of the checkout still under the old key.
One that opens for a holder of the old key, and that `git revert` may have put back under it,
is said to be on stderr (`note_older_key`).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.core.errors import EnvkeepError, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Iterator

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

# What encrypted files are called (`encrypt`'s default, `git-setup`'s patterns): the files a
# rotation looks at, in the project's root and in each service's directory (not below them).
SUFFIX = ".enc"
# A header line is short; reading a whole large file to find it would not be.
_HEADER_BYTES = 4096


def reencrypt_command(path: str | None, *, new_passphrase: bool = False) -> str:
    """The command that re-encrypts the file at ``path`` in place with its environment's
    current key (None: a file with no path here, read from stdin); ``new_passphrase``: that
    changes a passphrase file's passphrase."""
    flag = "--new-passphrase " if new_passphrase else ""
    return f"envkeep reencrypt {flag}{shlex.quote(path) if path is not None else 'FILE'}"


def older_key_refused(
    source: Path | None, file_version: int, opened: OpenEnvironment
) -> PermissionDenied:
    """The refusal of a file encrypted under ``file_version`` of ``opened``'s environment, a
    key version its reader does not hold (``source`` None: read from stdin)."""
    env = opened.snapshot.environment
    held = opened.held_key_versions
    holds = "no version of it" if not held else _versions(held)
    named = "the file" if source is None else str(source)
    if file_version >= env.key_version:  # not from before a rotation: no share of it
        return PermissionDenied(
            f"{named} is encrypted under key version {file_version} of environment"
            f" '{env.name}', which you hold no share of; you hold {holds}",
            hint=f"ask an admin of '{env.name}' to share its keys with you again",
        )
    path = None if source is None else str(source)
    return PermissionDenied(
        f"{named} is encrypted under key version {file_version} of environment '{env.name}',"
        f" from before a key rotation (its current version is {env.key_version}); you hold"
        f" only {holds}",
        hint=f"someone who holds key version {file_version} re-encrypts it with the current"
        f" key: {reencrypt_command(path)}",
    )


def note_older_key(
    ctx: ClientContext, source: Path, file_version: int, opened: OpenEnvironment
) -> None:
    """Say (stderr) that the file at ``source``, which the caller opens, is under
    ``file_version`` of ``opened``'s environment while its current version is higher: a `git
    revert` or checkout of the commit that re-encrypted it puts it back under the old key,
    which whoever the rotation cut off may hold. The snapshot that gave the key says which
    version is current: no request of its own."""
    env = opened.snapshot.environment
    if file_version >= env.key_version or ctx.notify is None:
        return
    ctx.warn_once(
        f"warning: {source} is encrypted under key version {file_version} of '{env.name}',"
        f" whose current version is {env.key_version}: whoever a key rotation cut off may"
        f" hold the old key; re-encrypt it with the current key: {reencrypt_command(str(source))}"
    )


def _versions(held: tuple[int, ...]) -> str:
    words = "version" if len(held) == 1 else "versions"
    return f"{words} {', '.join(str(v) for v in held)}"


def note_files_under_older_keys(
    ctx: ClientContext, project: str, env_id: str, env: str, new_version: int
) -> None:
    """After ``env`` (``env_id``) of ``project`` was rotated to ``new_version``: say (stderr)
    which encrypted files of this checkout are still under an older key of it. Only the
    project's root and its services' directories are looked at, and only ``*.enc`` files:
    cheap, and where `encrypt` puts them by default."""
    if ctx.notify is None or not ctx.has_checkout or ctx.project_file.project != project:
        return
    for path, version in _files_under_older_keys(ctx, env_id, new_version):
        shown = _shown(path, ctx.cwd)
        ctx.notify(
            f"note: {shown} is encrypted under key version {version} of '{env}', which still"
            " opens it (whoever lost access may hold that key): re-encrypt it with the new"
            f" key: {reencrypt_command(shown)}"
        )


def _files_under_older_keys(
    ctx: ClientContext, env_id: str, new_version: int
) -> Iterator[tuple[Path, int]]:
    from envkeep.client.filecrypt import file_environment, read_header

    for path in _candidates(ctx):
        text = _header_text(path)
        try:
            header = None if text is None else read_header(text)
            if header is None or "env_id" not in header:  # not encrypted, or to a passphrase
                continue
            found = file_environment(header)
        except EnvkeepError:  # a damaged header: `decrypt` says what is wrong with it
            continue
        if found.env_id == env_id and found.key_version < new_version:
            yield path, found.key_version


def _candidates(ctx: ClientContext) -> list[Path]:
    """The ``*.enc`` files in the project's root and its services' directories, once each."""
    project = ctx.project_file
    directories = [project.root] + [project.root / s.path for s in project.services if s.path]
    found: dict[Path, None] = {}
    for directory in directories:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(SUFFIX) and entry.is_file():
                found.setdefault(Path(entry.path).resolve(), None)
    return list(found)


def _header_text(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEADER_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _shown(path: Path, cwd: Path) -> str:
    """``path`` as the user would type it here: relative to ``cwd`` when below it."""
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)
