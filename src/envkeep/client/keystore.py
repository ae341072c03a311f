"""Where the local identity's private keys rest: the OS keyring when usable, else a 0600 file.

What is stored is the same text either way: base64 of the 64 raw private-key bytes, or of
those bytes wrapped with a passphrase-derived key when the identity is protected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

KEYRING_SERVICE = "envkeep"


def keyring_usable() -> bool:
    """Whether an OS keyring backend that actually stores secrets is available."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - any failure to load a backend means "not usable"
        return False
    name = type(backend).__module__
    return not isinstance(backend, fail.Keyring) and "null" not in name and backend.priority >= 1


def save_in_keyring(account: str, text: str) -> None:
    """Store the key text in the OS keyring."""
    import keyring

    keyring.set_password(KEYRING_SERVICE, account, text)


def load_from_keyring(account: str) -> str:
    """The key text from the OS keyring, or StoreError when it is gone."""
    import keyring

    text = keyring.get_password(KEYRING_SERVICE, account)
    if text is None:
        raise StoreError(
            "the identity's private keys are missing from the OS keyring",
            hint="restore them from a backup, or remove identity.json to start a new identity",
        )
    return str(text)


def save_in_file(path: Path, text: str) -> None:
    """Store the key text in a file readable by its owner only."""
    from envkeep.core.files import write_atomic

    write_atomic(path, text.encode("ascii"), mode=0o600, private_parents=True)


def load_from_file(path: Path) -> str:
    """The key text from its file, or StoreError when it is missing."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise StoreError(
            f"the identity's private key file {path} is missing",
            hint="restore it from a backup, or remove identity.json to start a new identity",
        ) from None


def delete_from_keyring(account: str) -> bool:
    """Forget the key text in the OS keyring; False if the keyring would not (locked, or
    failing), True when it is gone or was never there."""
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(KEYRING_SERVICE, account)
    except PasswordDeleteError:  # not there
        return True
    except Exception:  # noqa: BLE001 - any backend failure: the caller says the key stays
        return False
    return True
