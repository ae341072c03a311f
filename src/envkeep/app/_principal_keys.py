"""The public keys of the principals a read names (authors of versions, sharers of keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.views import PrincipalView

if TYPE_CHECKING:
    from envkeep.app.ports import Fetch


def principal_keys(fetch: Fetch, ids: set[str]) -> tuple[PrincipalView, ...]:
    """The principals of ``ids`` with their public keys, by id (one unknown is left out)."""
    found = []
    for principal_id in sorted(ids):
        for row in fetch(
            "SELECT id, kind, name, encryption_public, signing_public FROM principals"
            " WHERE id = :id",
            {"id": principal_id},
        ):
            found.append(PrincipalView(row[0], row[1], row[2], bytes(row[3]), bytes(row[4])))
    return tuple(found)
