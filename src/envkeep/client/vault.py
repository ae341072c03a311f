"""An environment opened by the client: data keys unsealed, every current version verified and
decrypted, and new versions planned (encrypted and signed) against what was read."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.app.principal_labels import shown_name
from envkeep.app.reads import SHARED_SCOPE, service_scope
from envkeep.client.envelopes import (
    NameIndexCheck,
    VersionOpener,
    named_environment,
    open_data_keys,
)
from envkeep.client.opened_secrets import DamagedSecret, Variable
from envkeep.client.served_key_versions import impossible_key_version, served_wrong
from envkeep.client.write_plans import WriteTarget, check_size, damaged_name, plan_write
from envkeep.core.errors import IntegrityError, KeyNotHeld, VariableNotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.app.views import EnvironmentSnapshot, SecretView, SecretWrite
    from envkeep.client.backend import Backend
    from envkeep.client.envelopes import Signed, Verify
    from envkeep.client.identity import Identity


# What a version that does not verify, or decrypts to no text, raises.
_DAMAGE = (IntegrityError, UnicodeDecodeError)
# A secret listed under another scope or id than its current version was signed for.
_LISTED_ELSEWHERE = (
    "the secret's scope or id is not the one its version was signed for: the store was altered"
)


class _Entry:
    """One opened secret (a plain slotted class: an environment holds thousands)."""

    __slots__ = ("name", "secret", "value")

    def __init__(self, secret: SecretView, name: str, value: str | None) -> None:
        self.secret = secret
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"_Entry({self.secret.scope!r}, {self.name!r}, <value>)"


class OpenEnvironment:
    """The decrypted state of one environment (limited to the scopes that were read)."""

    def __init__(
        self, snapshot: EnvironmentSnapshot, identity: Identity, verify: Verify = crypto.verify
    ) -> None:
        self.snapshot = snapshot
        self._identity = identity
        self._verify = verify
        try:
            keys = open_data_keys(snapshot, identity.principal_id, identity.keys)
        except KeyNotHeld as missing:  # or an answer no environment can be: said as such
            raise served_wrong(snapshot, verify) or missing from None
        self._deks = keys.held
        # Shares of older keys that did not open: left out, for the versions under them to fail.
        self.unopened = keys.unopened
        self._authors = {p.id: p for p in snapshot.authors}
        self._signers: dict[str, crypto.PublicKeys] = {}
        self._opener = self.opener(verify)
        self._check_index = NameIndexCheck(self._deks[snapshot.environment.key_version])
        self._scope_names = {service_scope(s.id): s.name for s in snapshot.services}
        self._scope_names[SHARED_SCOPE] = SHARED_SCOPE
        # Secrets whose current version did not verify or open: left out of the entries.
        self.damaged: list[DamagedSecret] = []
        self._entries = self._open_all(snapshot.secrets)

    @classmethod
    def read(
        cls,
        backend: Backend,
        identity: Identity,
        project: str,
        environment: str,
        services: Sequence[str] | None,
        *,
        verify: Verify = crypto.verify,
    ) -> OpenEnvironment:
        """Fetch and open an environment."""
        return cls(backend.read_environment(project, environment, services), identity, verify)

    def _open_all(self, secrets: Sequence[SecretView]) -> dict[tuple[str, str], _Entry]:
        """Open every secret read, by (scope, name): one loop over locals, as it runs for
        each of thousands of variables.

        A deletion whose key this reader does not hold is left out: rotations before this
        release left deletions under the old key, which a member granted since never held,
        and there is no value to show. A name kept by a secret under an older key (such a
        deletion, then set again as a new secret) is the secret under the newer key. A secret
        whose version does not verify or open under a key this reader holds is left out, in
        ``damaged``: whoever reads says so (`damaged_secrets.refuse_read`); so is one filed under
        another name index than its name's, which a rotation files again."""
        opener, signers, signer = self._opener, self._signers, self._signer
        check_index, key_version = self._check_index, self.snapshot.environment.key_version
        held = self._deks
        entries: dict[tuple[str, str], _Entry] = {}
        for secret in secrets:
            current = secret.current
            impossible = impossible_key_version(current.key_version, key_version)
            if impossible is not None:  # a key the environment never had: not a key not held
                self._note_damaged(secret, IntegrityError(impossible))
                continue
            if current.value_ct is None and current.key_version not in held:
                continue
            try:
                if current.scope != secret.scope or current.secret_id != secret.id:
                    raise IntegrityError(_LISTED_ELSEWHERE)  # the version's are signed, not these
                author = signers.get(current.author_id) or signer(current.author_id)
                name, value = opener(current, author)
            except _DAMAGE as error:
                if current.key_version in self.unopened:
                    raise  # a share that did not open: its own refusal
                # Under a key not held, only a version whose signature fails gets here (one
                # that verifies is refused for the key): named as damaged, as under one held.
                self._note_damaged(secret, error)
                continue
            if current.key_version == key_version:
                try:
                    check_index(name, secret.name_index)
                except IntegrityError as misfiled:
                    self._note_damaged(secret, misfiled, opened=(name, value))
                    continue
            else:
                kept = entries.get((secret.scope, name))
                if kept is not None and kept.secret.current.key_version >= current.key_version:
                    continue
            entries[secret.scope, name] = _Entry(secret, name, value)
        if self.damaged:
            self._refile_only_free_names(entries)
        return entries

    def _refile_only_free_names(self, entries: Mapping[tuple[str, str], _Entry]) -> None:
        """Leave a misfiled secret to be filed again under its name only where no other secret
        of its scope holds that name under the current key, as one read or as another misfiled
        one: else a rotation would make two secrets of one name (a writer signs a second one
        and files it elsewhere), two writes of one name index the server refuses, and the key
        could not be rotated away from that writer. Such a one is, as one that does not open,
        deleted by a rotation only when told to (`damaged_secrets.refuse_rotation`)."""
        from collections import Counter

        key_version = self.key_version
        named = Counter((d.secret.scope, d.opened[0]) for d in self.damaged if d.opened)
        for number, damaged in enumerate(self.damaged):
            if damaged.opened is None:
                continue
            where = (damaged.secret.scope, damaged.opened[0])
            kept = entries.get(where)
            held = kept is not None and kept.secret.current.key_version == key_version
            if held or named[where] > 1:
                self.damaged[number] = replace(
                    damaged,
                    reason=f"{damaged.reason}, and another secret of its scope holds its name",
                    opened=None,
                )

    def _note_damaged(
        self,
        secret: SecretView,
        error: Exception,
        *,
        opened: tuple[str, str | None] | None = None,
    ) -> None:
        author = self._authors.get(secret.current.author_id)
        reason = str(error) if isinstance(error, IntegrityError) else "its text is not UTF-8"
        shown = shown_name(author.name, author.kind) if author else "?"
        principal = author.name if author else "?"
        self.damaged.append(DamagedSecret(secret, shown, reason, opened, principal))

    def _signer(self, author_id: str) -> crypto.PublicKeys:
        author = self._authors.get(author_id)
        if author is None:
            raise IntegrityError("a version names an author the store does not know")
        public = crypto.PublicKeys(author.encryption_public, author.signing_public)
        self._signers[author_id] = public
        return public

    def scope_name(self, scope: str) -> str:
        """A stored scope as commands name it: "shared" or the service's name."""
        return self._scope_names.get(scope, scope)

    @property
    def key_version(self) -> int:
        return self.snapshot.environment.key_version

    @property
    def dek(self) -> bytes:
        return self._deks[self.key_version]

    @property
    def held_key_versions(self) -> tuple[int, ...]:
        """The key versions of this environment whose data keys this reader holds, in order."""
        return tuple(sorted(self._deks))

    def data_key(self, key_version: int) -> bytes | None:
        """The data key of ``key_version`` this reader holds; None when it holds none; the
        share's IntegrityError when it holds one that did not open (`UnopenedShare`)."""
        unopened = self.unopened.get(key_version)
        if unopened is not None:
            raise unopened.error()
        return self._deks.get(key_version)

    def opener(self, verify: Verify) -> VersionOpener:
        """A :class:`VersionOpener` for this environment's versions, old ones too (history): a
        version under a key whose share did not open fails with that share's error."""
        return VersionOpener(
            self._deks,
            self.snapshot.environment.id,
            verify,
            self.unopened,
            named=named_environment(self.snapshot),
        )

    def scope_for(self, service: str | None) -> str:
        """The scope string of the shared scope (None) or of a named service."""
        if service is None:
            return SHARED_SCOPE
        for svc in self.snapshot.services:
            if svc.name == service:
                return service_scope(svc.id)
        raise VariableNotFound(f"service '{service}' was not read")  # pragma: no cover

    def variables(self, scope: str | None = None) -> list[Variable]:
        """Live variables, in one scope or all that were read, ordered by scope then name."""
        found = [
            self._variable(entry)
            for (entry_scope, _name), entry in self._entries.items()
            if entry.value is not None and (scope is None or entry_scope == scope)
        ]
        return sorted(found, key=lambda v: (v.scope != SHARED_SCOPE, v.scope, v.name))

    def _variable(self, entry: _Entry) -> Variable:
        author = self._authors.get(entry.secret.current.author_id)
        return Variable(
            name=entry.name,
            value=entry.value or "",
            scope=self._scope_names.get(entry.secret.scope, entry.secret.scope),
            scope_key=entry.secret.scope,
            secret_id=entry.secret.id,
            version=entry.secret.current.version,
            updated_at=entry.secret.current.created_at,
            author=shown_name(author.name, author.kind) if author else "?",
        )

    def values_by_scope(self) -> dict[str, dict[str, str]]:
        """Live values grouped by scope ("shared" or a service name), in stored order."""
        grouped: dict[str, dict[str, str]] = {}
        for (scope, name), entry in self._entries.items():
            if entry.value is not None:
                grouped.setdefault(self._scope_names.get(scope, scope), {})[name] = entry.value
        return grouped

    def find(self, scope: str, name: str) -> Variable | None:
        """The live variable ``name`` in ``scope``, if any."""
        entry = self._entries.get((scope, name))
        return None if entry is None or entry.value is None else self._variable(entry)

    def find_any(self, scope: str, name: str) -> tuple[str, int] | None:
        """(secret id, current version) of ``name`` in ``scope``, deleted or not."""
        entry = self._entries.get((scope, name))
        return None if entry is None else (entry.secret.id, entry.secret.current.version)

    def secret_ids(self, scope: str) -> dict[str, str]:
        """Every name in ``scope``, deleted or not, with its secret's id (to read its history)."""
        return {
            name: entry.secret.id
            for (entry_scope, name), entry in self._entries.items()
            if entry_scope == scope
        }

    def find_indexed(self, scope: str, name_index: bytes) -> Variable | None:
        """The live variable filed in ``scope`` under ``name_index`` (the index a new write of
        its name carries): the one another writer created under a name this reader's batch
        meant to create."""
        for (stored_scope, _name), entry in self._entries.items():
            if stored_scope != scope or entry.value is None:
                continue
            if entry.secret.name_index == name_index:
                return self._variable(entry)
        return None

    def find_writable(self, scope: str, name: str) -> tuple[str, int] | None:
        """:meth:`find_any` for a new version of ``name``: None (a new secret) when its secret
        is under an older data key, whose name index the store still files it by (a deletion
        an older client's rotation left), so that the name can be set again."""
        entry = self._entries.get((scope, name))
        if entry is None or entry.secret.current.key_version != self.key_version:
            return None
        return entry.secret.id, entry.secret.current.version

    def rotation_writes(self, target: WriteTarget) -> list[SecretWrite]:
        """Every secret read, live or deleted, as a new version under ``target``'s data key
        (a key rotation): a deletion too, so that a reader holding only the new key can
        open it and the name's index is the new key's, as the values' are. A damaged secret
        filed under a wrong index is written again under its own; one that does not open is
        deleted (the caller asked for it: `damaged_secrets.refuse_rotation`). Each new
        signature is entered in the cache of verified signatures this environment was read
        with (the caller saves it once the server took them): the next rotation does not
        check again thousands of signatures this identity made."""
        signed = self._signed()
        existing = [(e.secret, e.name, e.value) for e in self._entries.values()]
        existing += [(d.secret, *d.opened) for d in self.damaged if d.opened is not None]
        writes = [
            plan_write(
                self._identity,
                target,
                secret.scope,
                name,
                value,
                existing=(secret.id, secret.current.version),
                signed=signed,
            )
            for secret, name, value in existing
        ]
        # A damaged secret is deleted, under a name of its id (its own is unknown): nobody
        # can read it, and left as it was it would keep the old key in use.
        taken = {(secret.scope, name) for secret, name, _value in existing}
        writes.extend(
            plan_write(
                self._identity,
                target,
                damaged.secret.scope,
                damaged_name(damaged.secret.id, damaged.secret.scope, taken),
                None,
                existing=(damaged.secret.id, damaged.secret.current.version),
                signed=signed,
            )
            for damaged in self.damaged
            if damaged.opened is None
        )
        return writes

    def _signed(self) -> Signed | None:
        """Where the signatures of versions planned here go: the cache of verified signatures
        this environment was read with, if it was (`VerifiedSignatures.remember_own`)."""
        from envkeep.client.verified import VerifiedSignatures

        return self._verify.remember_own if isinstance(self._verify, VerifiedSignatures) else None

    def plan_writes(
        self,
        scope: str,
        changes: Mapping[str, str | None],
        *,
        progress: Callable[[], None] | None = None,
    ) -> list[SecretWrite]:
        """New versions for each name (``None`` deletes), each against the version read;
        ``progress`` is called once per sealed version (for a progress bar). Their signatures
        are entered as verified, as `rotation_writes` enters its own (the caller saves)."""
        target = WriteTarget(self.snapshot.environment.id, self.dek, self.key_version)
        for name, value in changes.items():
            check_size(name, value)
        writes = []
        signed = self._signed()
        for name, value in changes.items():
            existing = self.find_writable(scope, name)
            writes.append(
                plan_write(
                    self._identity, target, scope, name, value, existing=existing, signed=signed
                )
            )
            if progress is not None:
                progress()
        return writes
