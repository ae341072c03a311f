"""Encrypting, signing, verifying and decrypting one version of one variable (DESIGN §4).

The name and the value are sealed separately under the environment data key, each with an
AAD that binds environment, scope, secret id, version, key version and field; the author signs
both AADs and ciphertexts, the tombstone flag and its own principal id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from envkeep import crypto
from envkeep.core.errors import CryptoError, IntegrityError, KeyNotHeld, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.app.views import EnvironmentSnapshot, ShareView, VersionView

LIVE, DELETED = b"live", b"deleted"
# What a reader who holds no key of an environment is told when it may not see who holds it
# (`key_holders` names them to an admin of it).
NOT_HELD_HINT = (
    "ask an admin of the project to seal you its key: they run envkeep member seal with your"
    " email (their envkeep member list shows whose keys are missing)"
)


@dataclass(frozen=True)
class Sealed:
    """A version's ciphertext and signature, ready to send."""

    name_ct: bytes
    value_ct: bytes | None
    signature: bytes


def _aads(
    env_id: str, scope: str, secret_id: str, version: int, key_version: int
) -> tuple[bytes, bytes]:
    return crypto.field_aads(
        env_id=env_id, scope=scope, secret_id=secret_id, version=version, key_version=key_version
    )


def _signed_parts(
    aads: tuple[bytes, bytes], name_ct: bytes, value_ct: bytes | None, author_id: str
) -> list[bytes]:
    flag = DELETED if value_ct is None else LIVE
    return [aads[0], name_ct, aads[1], value_ct or b"", flag, author_id.encode()]


def seal_version(
    *,
    dek: bytes,
    key_version: int,
    env_id: str,
    scope: str,
    secret_id: str,
    version: int,
    name: str,
    value: str | None,
    author_id: str,
    author: crypto.PrivateKeys,
    signed: Signed | None = None,
) -> Sealed:
    """Encrypt and sign one version; ``value=None`` makes a signed tombstone. ``signed`` is
    told the signature and the parts it signs (`VerifiedSignatures.remember_own`)."""
    aads = _aads(env_id, scope, secret_id, version, key_version)
    name_ct = crypto.seal(dek, name.encode(), aads[0], key_version=key_version)
    value_ct = None
    if value is not None:
        value_ct = crypto.seal(dek, value.encode(), aads[1], key_version=key_version)
    parts = _signed_parts(aads, name_ct, value_ct, author_id)
    signature = crypto.sign(author, parts)
    if signed is not None:
        signed(signature, parts)
    return Sealed(name_ct, value_ct, signature)


class Signed(Protocol):
    def __call__(self, signature: bytes, parts: Sequence[bytes]) -> None: ...


class Verify(Protocol):
    def __call__(
        self, signer: crypto.PublicKeys, signature: bytes, parts: Sequence[bytes]
    ) -> None: ...


def named_environment(snapshot: EnvironmentSnapshot) -> str:
    """A snapshot's environment as refusals name one (``environment shop/prod``)."""
    return f"environment {snapshot.project.name}/{snapshot.environment.name}"


class VersionOpener:
    """Verifies and opens the versions of one environment, thousands at a time (the
    environment's AAD part and each data key's cipher are made once)."""

    __slots__ = ("_aads", "_keys", "_named", "_unopened", "_verify")

    def __init__(
        self,
        deks: dict[int, bytes],
        env_id: str,
        verify: Verify,
        unopened: Mapping[int, UnopenedShare] | None = None,
        *,
        named: str,
    ) -> None:
        self._keys = {version: crypto.EnvelopeKey(dek) for version, dek in deks.items()}
        self._aads = crypto.FieldAads(env_id)
        self._verify = verify
        self._unopened = unopened or {}
        self._named = named  # the environment, as a refusal names it

    def __call__(self, version: VersionView, author: crypto.PublicKeys) -> tuple[str, str | None]:
        """Verify a version's signature, then decrypt its name and value (None: deleted)."""
        aads = self._aads(version.scope, version.secret_id, version.version, version.key_version)
        name_ct, value_ct = version.name_ct, version.value_ct
        parts = _signed_parts(aads, name_ct, value_ct, version.author_id)
        self._verify(author, version.signature, parts)
        key = self._keys.get(version.key_version)
        if key is None:
            unopened = self._unopened.get(version.key_version)
            if unopened is not None:  # held, but the share did not open: say so, not "no key"
                raise unopened.error()
            raise PermissionDenied(
                f"you hold no key for key version {version.key_version} of {self._named}",
                hint=f"ask an admin of {self._named} to share its keys with you again",
            )
        name = key.open(name_ct, aads[0]).decode()
        if value_ct is None:
            return name, None
        return name, key.open(value_ct, aads[1]).decode()


@dataclass(frozen=True)
class UnopenedShare:
    """The reader's share of an older key version of an environment that did not open (damaged
    or altered where it is stored): the versions written under that key cannot be read with
    it, and nothing else needs it."""

    environment: str  # as refusals name it: ``environment shop/dev`` (`named_environment`)
    key_version: int
    reason: str  # the integrity error's own words

    def error(self) -> IntegrityError:
        """The refusal of an operation that needs a version written under this key."""
        return IntegrityError(
            f"versions of {self.environment} written under key"
            f" v{self.key_version} cannot be read: your share of that key does not open"
            f" ({self.reason})",
            hint="the share was damaged or changed where it is stored: ask the server's operator"
            " to restore it from a backup; meanwhile an admin who holds key"
            f" v{self.key_version} can read those versions",
        )

    def warning(self) -> str:
        """One line for a read that did not need this key (stderr): an integrity failure is
        never silent, even where it is skipped."""
        return (
            f"warning: your share of key v{self.key_version} of {self.environment} does not"
            f" open ({self.reason}); current values were read,"
            f" versions written under key v{self.key_version} cannot be until the server's"
            " operator restores that share from a backup"
        )


@dataclass(frozen=True)
class DataKeys:
    """The data keys of an environment a reader holds, by key version, and the shares of older
    key versions that did not open (``unopened``, by key version)."""

    held: dict[int, bytes]
    unopened: dict[int, UnopenedShare]


def open_data_keys(
    snapshot: EnvironmentSnapshot, principal_id: str, keys: crypto.PrivateKeys
) -> DataKeys:
    """Every data key of the environment the reader holds a share of, by key version.

    A share of the current key that does not open fails the read (every current value needs
    it). One of an older key is left out and named in ``unopened``: only the versions written
    under it need it, and they fail when read (`UnopenedShare.error`), so that one damaged
    old share does not stop `run`, `get` or `export`."""
    env = snapshot.environment
    held = {env.key_version: open_current_key(snapshot, principal_id, keys)}
    unopened: dict[int, UnopenedShare] = {}
    for share in snapshot.shares:
        if share.key_version == env.key_version:
            continue
        try:
            held[share.key_version] = _open(share, env.id, principal_id, keys)
        except CryptoError as error:
            unopened[share.key_version] = UnopenedShare(
                named_environment(snapshot), share.key_version, str(error)
            )
    return DataKeys(held, unopened)


def open_current_key(
    snapshot: EnvironmentSnapshot, principal_id: str, keys: crypto.PrivateKeys
) -> bytes:
    """The environment's current data key, from the reader's share of it (what a grant seals
    on and every current value is under); IntegrityError when that share does not open."""
    env = snapshot.environment
    share = next((s for s in snapshot.shares if s.key_version == env.key_version), None)
    if share is None:
        raise KeyNotHeld(
            f"you hold no key for {named_environment(snapshot)}",
            hint=NOT_HELD_HINT,
            project=snapshot.project.name,
            environment=env.name,
        )
    return _open(share, env.id, principal_id, keys)


def _open(share: ShareView, env_id: str, principal_id: str, keys: crypto.PrivateKeys) -> bytes:
    sharer = crypto.PublicKeys(share.sharer.encryption_public, share.sharer.signing_public)
    return crypto.open_share(
        share.sealed,
        env_id=env_id,
        key_version=share.key_version,
        recipient_id=principal_id,
        recipient=keys,
        sharer=sharer,
    )


def check_name_index(dek: bytes, name: str, expected: bytes) -> None:
    """A server cannot swap which index a name is stored under without detection."""
    NameIndexCheck(dek)(name, expected)


class NameIndexCheck:
    """:func:`check_name_index` under one data key, for checking thousands of names."""

    __slots__ = ("_key",)

    def __init__(self, dek: bytes) -> None:
        self._key = crypto.name_index_key(dek)

    def __call__(self, name: str, expected: bytes) -> None:
        if self._key.digest(name.encode()) != expected:
            raise IntegrityError(
                "a variable is stored under the wrong name index: the store was altered"
            )
