"""The audit chain's verifier as envkeep had it before migration 0012 (cfcb8df's
`core.auditchain.hashed_fields`, `event_hash` and `verify_chain`), frozen here: what an older
CLI recomputes. Events a newer server appends must verify with it, their project included."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

GENESIS = "0" * 64
# Exactly the keys an older CLI hashes, in the one canonical form.
HASHED = (
    "workspace_id",
    "seq",
    "at",
    "principal_id",
    "action",
    "target",
    "outcome",
    "request_id",
    "ip",
    "details",
)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def old_hash(prev_hash: str, event: Any) -> str:
    canonical = _CANONICAL.encode({key: getattr(event, key) for key in HASHED})
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def old_verify(events: Iterable[Any]) -> int | None:
    """The seq of the first broken link as an older CLI finds it, or None when intact."""
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev:
            return expected_seq
        if old_hash(prev, event) != event.hash:
            return expected_seq
        prev, expected_seq = event.hash, expected_seq + 1
    return None
