"""The local identity: a principal id, its X25519 + Ed25519 key pairs, created on first use.

``identity.json`` (public: id, name, public keys, where the private keys rest, KDF parameters)
sits in ENVKEEP_HOME; the private keys rest in the OS keyring or a 0600 file (``keystore``),
wrapped with an Argon2id-derived key when the identity is protected by a passphrase.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client import keystore
from envkeep.core.errors import CryptoError, InputError, UsageError, WrongPassphrase

if TYPE_CHECKING:
    from envkeep.settings import Settings

PassphrasePrompt = Callable[[str], str]
MIN_PASSPHRASE = 8


# binascii rather than base64: the same standard alphabet, without importing base64 (and struct)
# on the way to every `envkeep run`.
def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _unb64(text: str) -> bytes:
    """Strict standard base64; ValueError (binascii.Error) on anything else."""
    return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)


@dataclass(frozen=True)
class Protection:
    """How the private keys are wrapped: Argon2id salt and parameters."""

    salt: bytes
    params: crypto.KdfParams


@dataclass(frozen=True)
class IdentityRecord:
    """The public half of the identity, as kept in identity.json."""

    principal_id: str
    name: str
    public: crypto.PublicKeys
    store: str  # "file" | "keyring"
    protection: Protection | None

    def to_json(self) -> str:
        protection = None
        if self.protection is not None:
            params = self.protection.params
            protection = {
                "salt": _b64(self.protection.salt),
                "memory_kib": params.memory_kib,
                "iterations": params.iterations,
                "lanes": params.lanes,
            }
        body = {
            "version": 1,
            "principal_id": self.principal_id,
            "name": self.name,
            "encryption_public": _b64(self.public.encryption),
            "signing_public": _b64(self.public.signing),
            "store": self.store,
            "protection": protection,
        }
        return json.dumps(body, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> IdentityRecord:
        try:
            body = json.loads(text)
            prot = body["protection"]
            protection = None
            if prot is not None:
                params = crypto.KdfParams(prot["memory_kib"], prot["iterations"], prot["lanes"])
                protection = Protection(_unb64(prot["salt"]), params)
            return cls(
                principal_id=str(body["principal_id"]),
                name=str(body["name"]),
                public=crypto.PublicKeys(
                    _unb64(body["encryption_public"]), _unb64(body["signing_public"])
                ),
                store=str(body["store"]),
                protection=protection,
            )
        except (ValueError, KeyError, TypeError, CryptoError) as exc:
            raise InputError(
                f"identity.json is damaged ({_damage(exc)})",
                hint="restore it from a backup; without it the stored values cannot be read",
            ) from None


def _damage(error: Exception) -> str:
    """What is wrong in identity.json, in words: its class ("KeyError", binascii's "Error")
    told a user nothing. It holds no secret: a field's name or a key's length may be said."""
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON at line {error.lineno}"
    if isinstance(error, KeyError):
        return f"its {error.args[0]!r} field is missing"
    if isinstance(error, binascii.Error):
        return "a key or salt is not base64"
    if isinstance(error, TypeError):
        return "a field holds the wrong kind of value"
    return str(error)[:80] or "a value is out of range"


@dataclass(frozen=True)
class Identity:
    """An unlocked identity: the record and the private keys."""

    record: IdentityRecord
    keys: crypto.PrivateKeys

    @property
    def principal_id(self) -> str:
        return self.record.principal_id


def load_record(settings: Settings) -> IdentityRecord | None:
    """The identity record, or None before first use."""
    try:
        text = settings.identity_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return IdentityRecord.from_json(text)


def _account(record: IdentityRecord) -> str:
    return f"identity:{record.principal_id}"


def _save_private(settings: Settings, record: IdentityRecord, text: str) -> None:
    if record.store == "keyring":
        keystore.save_in_keyring(_account(record), text)
    else:
        keystore.save_in_file(settings.private_key_path, text)


def _load_private(settings: Settings, record: IdentityRecord) -> str:
    if record.store == "keyring":
        return keystore.load_from_keyring(_account(record))
    return keystore.load_from_file(settings.private_key_path)


def _wrap(keys: crypto.PrivateKeys, passphrase: str) -> tuple[Protection, str]:
    protection = Protection(crypto.new_salt(), crypto.DEFAULT_KDF)
    master = crypto.derive_passphrase_key(passphrase, protection.salt, protection.params)
    _auth, wrap_key = crypto.split_passphrase_key(master)
    return protection, _b64(crypto.wrap_private_keys(keys, wrap_key))


def _choose_store(settings: Settings) -> str:
    if settings.keyring == "off":
        return "file"
    if keystore.keyring_usable():
        return "keyring"
    if settings.keyring == "on":
        raise UsageError(
            "ENVKEEP_KEYRING=on but no usable OS keyring was found",
            hint="unset ENVKEEP_KEYRING to fall back to a 0600 key file",
        )
    return "file"


def _store(settings: Settings, record: IdentityRecord, private_text: str) -> None:
    from envkeep.core.files import make_private_directory, write_atomic

    make_private_directory(settings.home)
    _save_private(settings, record, private_text)
    write_atomic(
        settings.identity_path, record.to_json().encode(), mode=0o600, private_parents=True
    )


def create_identity(settings: Settings, name: str | None = None) -> Identity:
    """Make a new identity; protected when ENVKEEP_PASSPHRASE is set."""
    import uuid  # creating an identity is rare: keep it off the read path

    _refuse_unknown_home(settings)
    keys = crypto.generate_keys()
    protection, text = None, _b64(keys.to_bytes())
    if settings.passphrase and len(settings.passphrase) < MIN_PASSPHRASE:
        raise UsageError(
            f"ENVKEEP_PASSPHRASE needs at least {MIN_PASSPHRASE} characters",
            hint="choose a longer passphrase; it protects your private keys",
        )
    if settings.passphrase:
        protection, text = _wrap(keys, settings.passphrase)
    record = IdentityRecord(
        principal_id=str(uuid.uuid4()),
        name=name or f"{_login_name()}@local",
        public=keys.public(),
        store=_choose_store(settings),
        protection=protection,
    )
    _store(settings, record, text)
    return Identity(record, keys)


def _refuse_unknown_home(settings: Settings) -> None:
    """No identity (a private key file) under ``environ.NO_HOME``: there is no HOME and no
    password entry, and the key would go where root alone can write (as root, made there for
    every such user id to share; otherwise "/nonexistent: Permission denied")."""
    import os
    from pathlib import Path

    from envkeep.environ import NO_HOME

    if Path(NO_HOME) in settings.home.parents:
        raise UsageError(
            f"no home for this machine's identity: HOME is unset and user id {os.getuid()}"
            " has no entry in /etc/passwd",
            hint="set HOME or ENVKEEP_HOME to a directory of yours, then run the command again",
        )


def _login_name() -> str:
    """The user's login name, else ``uidN``: a user id with no password entry and no LOGNAME
    or USER (a container run with ``--user 12345``) made getpass raise, and `init` fail as a
    bug with a KeyError."""
    import getpass
    import os

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # OSError from Python 3.13 on
        return f"uid{os.getuid()}"


def forget_identity(settings: Settings) -> bool:
    """Remove the identity kept under ``settings.home`` (its record, and its private keys from
    the keyring or their file); False when the keyring would not let the keys go (the record
    then stays, naming where they are)."""
    record = load_record(settings)
    if record is None:
        return True
    if record.store == "keyring" and not keystore.delete_from_keyring(_account(record)):
        return False
    settings.private_key_path.unlink(missing_ok=True)
    settings.identity_path.unlink(missing_ok=True)
    return True


def store_identity(
    settings: Settings,
    record: IdentityRecord,
    keys: crypto.PrivateKeys,
    *,
    protect_with: str | None = None,
) -> Identity:
    """Keep ``keys`` under ``settings.home`` like the local identity: in the OS keyring or a
    0600 file, wrapped with ``protect_with`` when given."""
    protection, text = None, _b64(keys.to_bytes())
    if protect_with:
        protection, text = _wrap(keys, protect_with)
    record = replace(record, store=_choose_store(settings), protection=protection)
    _store(settings, record, text)
    return Identity(record, keys)


def _passphrase(settings: Settings, prompt: PassphrasePrompt | None) -> str:
    if settings.passphrase:
        return settings.passphrase
    if prompt is None:
        ask = "set ENVKEEP_PASSPHRASE, or run the command in a terminal to be asked"
        withheld = settings.withheld_hint("ENVKEEP_PASSPHRASE")
        raise WrongPassphrase(
            "the local identity is protected by a passphrase",
            hint=f"{withheld}; {ask}" if withheld else ask,
        )
    return prompt("Passphrase for the envkeep identity: ")


def unlock(settings: Settings, record: IdentityRecord, prompt: PassphrasePrompt | None) -> Identity:
    """The identity with its private keys, asking for the passphrase when protected."""
    text = _load_private(settings, record)
    try:
        raw = _unb64(text)
    except ValueError:
        raise InputError(
            "the private key store is damaged", hint="restore it from a backup"
        ) from None
    if record.protection is None:
        keys = crypto.PrivateKeys.from_bytes(raw)
    else:
        protection = record.protection
        master = crypto.derive_passphrase_key(
            _passphrase(settings, prompt), protection.salt, protection.params
        )
        keys = crypto.unwrap_private_keys(raw, crypto.split_passphrase_key(master)[1])
    if keys.public() != record.public:
        raise InputError(
            "the private keys do not match identity.json", hint="restore both from one backup"
        )
    return Identity(record, keys)


def load_or_create(settings: Settings, prompt: PassphrasePrompt | None = None) -> Identity:
    """The unlocked local identity, created on first use."""
    record = load_record(settings)
    if record is None:
        return create_identity(settings)
    return unlock(settings, record, prompt)


def protect(settings: Settings, identity: Identity, passphrase: str) -> IdentityRecord:
    """Wrap the private keys with a passphrase (or re-wrap with a new one)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"a passphrase needs at least {MIN_PASSPHRASE} characters")
    protection, text = _wrap(identity.keys, passphrase)
    record = IdentityRecord(
        identity.record.principal_id,
        identity.record.name,
        identity.record.public,
        identity.record.store,
        protection,
    )
    _store(settings, record, text)
    return record
