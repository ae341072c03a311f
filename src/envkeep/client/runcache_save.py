"""Filling `envkeep run`'s cache of resolved environments (``client/runcache.py``) on a cold
run: what the run's values came from is recorded before it reads anything and again after, and
the entry is written only when both agree, so that a change made meanwhile can never be hidden
behind a cache entry.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.client import runcache
from envkeep.client.personal_overrides import LOCAL_OVERRIDES
from envkeep.client.resolution import template_directories
from envkeep.core.errors import EnvkeepError
from envkeep.core.files import make_private_directory
from envkeep.core.projectfile import find_project_file, parse_project_file
from envkeep.store.stamp import change_stamp

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.runcache import Files, Listings
    from envkeep.store.stamp import Stamp


@dataclass(frozen=True)
class Sources:
    """Everything a run's values are computed from, as found at one moment."""

    stamp: Stamp
    files: Files
    listings: Listings


@dataclass(frozen=True)
class PendingEntry:
    """A cold run that may fill the cache once its values are known."""

    path: str
    aad: bytes
    project_file: str
    before: Sources


def begin(
    ctx: ClientContext, env: str | None, service: str | None, *, validate: bool
) -> PendingEntry | None:
    """Record the sources before a cold run reads anything; None when the run's values may not
    be cached (a team server, an identity in the keyring or protected by a passphrase, no
    project file or store yet, ENVKEEP_RUN_CACHE=off, or ENVKEEP_LOCAL_OVERRIDES=on, whose
    values a run without it must never be given)."""
    settings = ctx.settings
    if not settings.run_cache or settings.local_overrides or settings.token:
        return None
    if ctx.server_url is not None:
        return None
    found = find_project_file(ctx.cwd)
    record = ctx.identity.record
    if found is None or record.store != "file" or record.protection is not None:
        return None
    home = str(ctx.settings.home)
    before = sources(ctx)
    if before is None:
        return None
    aad = runcache.entry_aad(str(found), env, service, validate=validate, directory=str(ctx.cwd))
    return PendingEntry(runcache.entry_path(home, aad), aad, str(found), before)


def finish(
    ctx: ClientContext,
    pending: PendingEntry,
    values: Mapping[str, str],
    notes: Sequence[str] = (),
) -> None:
    """Write the entry (with the ``notes`` the run printed, which a warm run prints again) if
    the sources are still what they were before the run read them, and the project file the
    run parsed is the one recorded (best effort: a cache, not a record)."""
    after = sources(ctx)
    if after != pending.before or not _parsed_as_recorded(ctx, pending):
        return
    payload = marshal.dumps((after.stamp, after.files, after.listings, dict(values), list(notes)))
    from envkeep.crypto.warm import run_cache_key, seal_entry

    sealed = seal_entry(run_cache_key(ctx.identity.keys.to_bytes()), payload, pending.aad)
    with contextlib.suppress(OSError):  # a read-only home still runs, only colder
        _write(pending.path, sealed)


def sources(ctx: ClientContext) -> Sources | None:
    """The store's stamp and the files resolution reads, now; None if any cannot be read."""
    project = ctx.project_file
    stamp = change_stamp(str(ctx.settings.database_path))
    paths = [ctx.settings.identity_path, project.path, project.root / LOCAL_OVERRIDES]
    paths += [project.root / s.schema for s in project.services if s.schema is not None]
    listings: Listings = []
    for directory in template_directories(ctx):
        names = runcache.listing(str(directory))
        listings.append((str(directory), names))
        paths += [directory / n for n in names or () if n.endswith(".env")]
    try:
        files: Files = [(str(p), runcache.read_bytes(str(p))) for p in paths]
    except OSError:
        return None
    return None if stamp is None else Sources(stamp, files, listings)


def _parsed_as_recorded(ctx: ClientContext, pending: PendingEntry) -> bool:
    recorded = dict(pending.before.files).get(pending.project_file)
    if recorded is None:
        return False
    project = ctx.project_file
    try:
        return parse_project_file(recorded.decode("utf-8"), project.root) == project
    except (UnicodeDecodeError, EnvkeepError):
        return False


def _write(path: str, data: bytes) -> None:
    """Replace ``path`` whole (temp file and rename; no fsync: a lost entry is a cold run)."""
    target = Path(path)
    make_private_directory(target.parent)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    temporary.replace(target)
    prune(target.parent)


# Entries kept: one is written per project, environment, service and (without a service)
# directory that `run` is used from, and none is removed by anything else.
KEPT_ENTRIES = 128
_STALE_TEMPORARY = 3600.0  # seconds: a temp file this old belongs to a write that died


def prune(directory: Path, keep: int = KEPT_ENTRIES) -> None:
    """Delete all but the ``keep`` entries written last, and temp files left by dead writes
    (best effort: whatever cannot be read or deleted stays)."""
    try:
        found = [(e.stat().st_mtime, Path(e.path)) for e in os.scandir(directory)]
    except OSError:
        return
    now = time.time()
    temporary = [p for t, p in found if p.suffix == ".tmp" and now - t > _STALE_TEMPORARY]
    entries = sorted(((t, p) for t, p in found if p.suffix != ".tmp"), reverse=True)
    for path in temporary + [p for _t, p in entries[keep:]]:
        with contextlib.suppress(OSError):
            path.unlink()
