"""What one who can write a store's database, but holds no private key of a member, can do to
an environment: seal a data key of their own to a reader as if a member had shared it, and sign
every value of the environment with their own keys under that member's id. The tests of signer
pinning (a compromised server) and of ENVKEEP_SIGNERS (an altered embedded store) both need it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client.envelopes import seal_version

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable


@dataclass(frozen=True)
class Forgery:
    """Whom the forged share is for, and under whose id the forger signs."""

    env_id: str
    key_version: int
    reader: str
    reader_public: crypto.PublicKeys
    author: str
    forger: crypto.PrivateKeys


def forge_environment(
    db: sqlite3.Connection, forgery: Forgery, value: str, name: Callable[[int], str]
) -> None:
    """Re-seal the environment's share for the reader with a new data key of the forger's, and
    every secret's current version as ``value`` under ``name(n)`` (the n-th secret), signed by
    the forger as the author; the revision is raised so that no cache keeps the old values."""
    dek = crypto.new_data_key()
    sealed = crypto.seal_share(
        dek,
        env_id=forgery.env_id,
        key_version=forgery.key_version,
        recipient_id=forgery.reader,
        recipient=forgery.reader_public,
        sharer=forgery.forger,
    )
    db.execute(
        "UPDATE data_key_shares SET sealed = ?, sharer_id = ?"
        " WHERE environment_id = ? AND recipient_id = ? AND key_version = ?",
        (sealed, forgery.author, forgery.env_id, forgery.reader, forgery.key_version),
    )
    rows = db.execute(
        "SELECT id, scope, current_version FROM secrets WHERE environment_id = ?",
        (forgery.env_id,),
    ).fetchall()
    for number, (secret_id, scope, version) in enumerate(rows):
        forged = seal_version(
            dek=dek,
            key_version=forgery.key_version,
            env_id=forgery.env_id,
            scope=scope,
            secret_id=secret_id,
            version=version,
            name=name(number),
            value=value,
            author_id=forgery.author,
            author=forgery.forger,
        )
        db.execute(
            "UPDATE secret_versions SET name_ct = ?, value_ct = ?, signature = ?,"
            " author_id = ? WHERE secret_id = ? AND version = ?",
            (forged.name_ct, forged.value_ct, forged.signature, forgery.author, secret_id, version),
        )
        db.execute(
            "UPDATE secrets SET name_index = ? WHERE id = ?",
            (crypto.name_index(dek, name(number)), secret_id),
        )
    db.execute("UPDATE environments SET revision = revision + 1 WHERE id = ?", (forgery.env_id,))
