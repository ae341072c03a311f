"""The copy of an environment kept for reads offline, brought past a write this client made,
from the write's answer rather than a fetch of the whole environment again.

The server raises an environment's revision with every batch of writes. When the copy kept
of every scope is at the revision just before the one a write's answer gives, no other
write came between them: the environment now is that copy plus the batch, each version as the
client sent it, authored by the reader (the recipient of the copy's shares) at the answer's
time, in the order the server lists them (its variables as made, a batch's new ones last, in
the batch's order). Anything else (another write came between, an older server's answer
without the time, a scope or an author the copy does not know) is None: fetched again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.api.encoding import b64e
from envkeep.app.reads import SHARED_SCOPE, service_scope

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.views import SecretWrite


@dataclass(frozen=True)
class Batch:
    """A batch of writes the server took: its new revision, its versions' time (None: not
    said), the writes, and when they were sent (by the clock of the copies kept)."""

    revision: int
    at: str | None
    writes: Sequence[SecretWrite]
    sent_at: float


def written_into(kept: Any, batch: Batch) -> Any | None:
    """The server's snapshot of every scope after ``batch``, made from ``kept`` (its snapshot
    of every scope just before it); None when it cannot be told from them."""
    try:
        return _written_into(kept, batch)
    except (KeyError, TypeError, ValueError):  # a copy of another shape: fetched instead
        return None


def _written_into(kept: Any, batch: Batch) -> Any | None:
    environment = kept["environment"]
    if batch.at is None or int(environment["revision"]) != batch.revision - 1:
        return None
    readers = {str(share["recipient_id"]) for share in kept["shares"]}
    people = {str(p["id"]): p for p in [*kept["authors"], *(s["sharer"] for s in kept["shares"])]}
    scopes = {SHARED_SCOPE} | {service_scope(str(s["id"])) for s in kept["services"]}
    if len(readers) != 1 or not readers <= people.keys():
        return None
    (author,) = readers
    secrets = {str(s["id"]): s for s in kept["secrets"]}
    for write in batch.writes:
        held = secrets.get(write.secret_id)
        stored = 0 if held is None else int(held["current"]["version"])
        if write.scope not in scopes or stored != write.expected_version:
            return None
        if write.key_version != int(environment["key_version"]):
            return None
        secrets[write.secret_id] = _secret(write, author, batch.at)
    named = {str(s["current"]["author_id"]) for s in secrets.values()}
    named |= {str(s["sharer"]["id"]) for s in kept["shares"]}
    if not named <= people.keys():
        return None
    return {
        **kept,
        "environment": {**environment, "revision": batch.revision},
        "secrets": list(secrets.values()),
        "authors": [people[principal] for principal in sorted(named)],
    }


def _secret(write: SecretWrite, author: str, at: str) -> dict[str, Any]:
    """A written version as a snapshot lists it (`api.snapshot_json`)."""
    return {
        "id": write.secret_id,
        "scope": write.scope,
        "name_index": b64e(write.name_index),
        "current": {
            "secret_id": write.secret_id,
            "scope": write.scope,
            "version": write.version,
            "key_version": write.key_version,
            "name_ct": b64e(write.name_ct),
            "value_ct": None if write.value_ct is None else b64e(write.value_ct),
            "author_id": author,
            "signature": b64e(write.signature),
            "created_at": at,
        },
    }
