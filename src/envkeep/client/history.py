"""A variable's versions, decrypted and told apart: a change, a deletion, a key rotation's
re-encryption of the same value, and a version under a data key the reader was never given.

Revoking a member rotates the environment's data key, which writes every current value again
under the new key, signed by whoever rotated: read as plain versions, those looked like value
changes by the admin. And a member granted after a rotation holds only the newer keys, so one
older version used to stop the whole history. Each version is verified (its author's
signature) whether or not it can be opened.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.core.errors import (
    IntegrityError,
    NotAnEnvkeepRoute,
    PermissionDenied,
    UnreachableError,
)
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from envkeep.app.views import PrincipalView, VersionView
    from envkeep.client.context import ClientContext
    from envkeep.client.envelopes import VersionOpener
    from envkeep.client.vault import OpenEnvironment


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a variable. ``value`` None: deleted in this version, or (``sealed``)
    under a data key version the reader holds no share of. ``rekeyed``: a key rotation wrote
    the previous version's value again under key ``key_version``, nothing changed.
    ``after_sealed``: the first version under a newer key after one sealed to the reader, which
    may be a rotation's re-encryption as well as a change (the reader cannot compare them).
    ``same_as``: a write that set the value an earlier version first held (a rollback's, or
    a promotion's of that value), that version."""

    version: int
    value: str | None = field(repr=False)
    author: str
    created_at: str
    key_version: int = 1
    sealed: bool = False
    rekeyed: bool = False
    same_as: int | None = None
    after_sealed: int | None = None  # the sealed version before it, when it is one

    @property
    def state(self) -> str:
        """``set``, ``deleted``, ``rekeyed`` (a rotation's re-encryption) or ``sealed``."""
        if self.sealed:
            return "sealed"
        if self.rekeyed:
            return "rekeyed"
        return "deleted" if self.value is None else "set"

    @property
    def note(self) -> str | None:
        """What a version that is not a plain change is, in words; None for a change."""
        if self.sealed:
            return f"sealed under key v{self.key_version}, which was not shared with you"
        if self.rekeyed:
            return f"re-encrypted under key v{self.key_version} (key rotation)"
        if self.after_sealed is not None:
            return (
                f"under key v{self.key_version}: a key rotation's copy of v{self.after_sealed}"
                f" or a change (v{self.after_sealed} is sealed to you)"
            )
        if self.same_as is not None:
            return f"the value of v{self.same_as} again"
        return None


@contextmanager
def from_the_server(ctx: ClientContext) -> Iterator[None]:
    """Around a command that reads versions: the copies kept for offline reads hold current
    values only, so none stands in for the server here (the environment read first would use
    one, and warn, before the versions failed all the same); a server out of reach is one
    error that says history needs it."""
    ctx.offline_reads = False
    try:
        yield
    except UnreachableError as error:
        if isinstance(error, NotAnEnvkeepRoute):  # a wrong URL, not a server out of reach
            raise
        kept = "the copy kept for offline reads (get, list, run) holds current values only"
        raise UnreachableError(
            f"history needs the server: {error.message}",
            hint=f"{error.hint}; {kept}" if error.hint else kept,
        ) from None


def read_history(
    ctx: ClientContext, opened: OpenEnvironment, env: str, secret_id: str
) -> list[HistoryEntry]:
    """Every version of one secret of environment ``env`` (``opened``), oldest first."""
    versions, authors = ctx.backend.secret_history(ctx.project_file.project, env, secret_id)
    _of_one(versions, secret_id)
    by_id = {a.id: a for a in authors}
    # One opener for every version: the environment's AAD part and each key's cipher made once.
    opener = opened.opener(ctx.verified)
    entries = [_entry(opener, v, _author(by_id, v)) for v in versions]
    ctx.verified.save()
    return _mark_repeats(_mark_rekeyed(entries))


def _of_one(versions: Sequence[VersionView], secret_id: str) -> None:
    """IntegrityError unless ``versions`` are all of the variable asked for, each version once,
    oldest first: each opens and verifies as the variable it claims to be (its AAD binds
    that), so versions of another variable would pass for this one's, and `rollback --to`
    would write another's value under this name."""
    numbers = [v.version for v in versions]
    if any(v.secret_id != secret_id for v in versions) or numbers != sorted(set(numbers)):
        raise IntegrityError(
            "the store answered a variable's history with versions that are not its own"
            " (of another variable, or out of order)",
            hint=_ALTERED,
        )


def held_at(
    ctx: ClientContext, opened: OpenEnvironment, env: str, scope: str, moment: datetime
) -> dict[str, HistoryEntry | None]:
    """What each name of ``scope`` (every one ``opened`` read there, deleted or not, by name)
    held at ``moment``: its last version at or before that second, verified and opened as
    `read_history` does each version (``rekeyed`` and ``same_as`` not told: its neighbours
    are not read); None for a name created later. One read of the server
    (`Backend.versions_at`), or, from a server older than that read, one history per name."""
    ids = opened.secret_ids(scope)
    project = ctx.project_file.project
    try:
        versions, authors = ctx.backend.versions_at(project, env, scope, moment)
    except NotAnEnvkeepRoute as error:  # an older server: the read it has, once per name
        if not error.route_missing:
            raise
        return {
            name: _last_at(read_history(ctx, opened, env, secret_id), moment)
            for name, secret_id in sorted(ids.items())
        }
    names = {secret_id: name for name, secret_id in ids.items()}
    by_id = {a.id: a for a in authors}
    opener = opened.opener(ctx.verified)
    held: dict[str, HistoryEntry | None] = dict.fromkeys(sorted(ids))
    for version in _as_asked(versions, scope, moment):
        name = names.get(version.secret_id)
        if name is not None:  # else created since the environment was read: not planned
            held[name] = _entry(opener, version, _author(by_id, version))
    ctx.verified.save()
    return held


def _last_at(entries: list[HistoryEntry], moment: datetime) -> HistoryEntry | None:
    """Of a name's history, the version current at ``moment`` (None: it did not exist yet)."""
    before = [e for e in entries if as_utc(e.created_at) <= moment]
    return before[-1] if before else None


_ALTERED = "the answer was changed where it is stored or on its way: tell whoever runs the store"


def _as_asked(versions: Sequence[VersionView], scope: str, moment: datetime) -> list[VersionView]:
    """``versions`` when they answer what was asked (each of ``scope``, at or before
    ``moment``, one per secret); IntegrityError else: a server that answers otherwise is not
    to be planned from (a signature binds a version to its secret, not to a time)."""
    seen: set[str] = set()
    for version in versions:
        if (
            version.scope != scope
            or as_utc(version.created_at) > moment
            or version.secret_id in seen
        ):
            raise IntegrityError(
                f"the store answered versions held at {utc_second(moment)} that are not what"
                " was asked (of another scope, of a later time, or two of one variable)",
                hint=_ALTERED,
            )
        seen.add(version.secret_id)
    return list(versions)


def _author(by_id: dict[str, PrincipalView], version: VersionView) -> PrincipalView:
    """The author of ``version``, among the keys the answer gave: IntegrityError when it did
    not give them (a version no key verifies is not read)."""
    author = by_id.get(version.author_id)
    if author is None:
        raise IntegrityError(
            f"the store gave no public key for the author of version {version.version}"
            " of a variable, so its signature cannot be verified",
            hint=_ALTERED,
        )
    return author


def _entry(opener: VersionOpener, version: VersionView, author: PrincipalView) -> HistoryEntry:
    from envkeep.app.principal_labels import shown_name  # a token as `token NAME`, as audit does

    shown = shown_name(author.name, author.kind)
    base = HistoryEntry(version.version, None, shown, version.created_at, version.key_version)
    try:  # under a key whose share did not open: its IntegrityError, not "sealed", stops it
        _name, value = opener(
            version, crypto.PublicKeys(author.encryption_public, author.signing_public)
        )
    except PermissionDenied:  # verified, then found under a key this reader was not given
        return replace(base, sealed=True)
    return replace(base, value=value)


def _mark_repeats(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Mark each write that sets a value an earlier version first held (told here, from the
    decrypted values: the server cannot know a value came back)."""
    first: dict[str, int] = {}
    marked = []
    for entry in entries:
        if entry.value is None or entry.rekeyed:
            marked.append(entry)
            continue
        held = first.setdefault(entry.value, entry.version)
        marked.append(replace(entry, same_as=held) if held != entry.version else entry)
    return marked


def _mark_rekeyed(entries: list[HistoryEntry]) -> list[HistoryEntry]:
    """Mark each version that holds its predecessor's value under a newer key version: what
    a rotation writes (a person's write under a new key changes the value, or is a first)."""
    marked = entries[:1]
    for before, entry in itertools.pairwise(entries):
        same = not before.sealed and not entry.sealed and before.value == entry.value
        rekeyed = same and entry.key_version > before.key_version
        # A newer key after a version the reader cannot open: a rotation's copy looks like a
        # change from here, so it is not called one.
        unknown = (
            before.sealed
            and not entry.sealed
            and entry.value is not None  # a deletion: no rotation writes one
            and entry.key_version > before.key_version
        )
        after = before.version if unknown else None
        marked.append(replace(entry, rekeyed=rekeyed, after_sealed=after))
    return marked
