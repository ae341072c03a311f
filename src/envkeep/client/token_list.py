"""The workspace's service-account tokens as the server lists them, and which `token list`
shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from envkeep.client.team_server import team_backend
from envkeep.core.timestamps import as_utc

if TYPE_CHECKING:
    from collections.abc import Collection

    from envkeep.client.context import ClientContext


def account_ids(ctx: ClientContext, names: Collection[str]) -> frozenset[str]:
    """The accounts of the tokens named (a row per role, ended ones too), as `token list`
    shows them; none where it shows none (the server decides what a revocation does)."""
    if not names:
        return frozenset()
    return frozenset(str(t["principal"]["id"]) for t in list_tokens(ctx) if t["label"] in names)


def list_tokens(ctx: ClientContext) -> list[dict[str, Any]]:
    """The workspace's service accounts, a row for each role, ended ones too (revoked, or
    rotated out: ``revoked`` true); ``role`` None for a token with none (an older server says
    ``"-"``); ``last_used_at`` None for one never used (an older server leaves it out)."""
    from envkeep.api.schemas import TokenInfo
    from envkeep.client.answer_rows import read_rows

    backend = team_backend(ctx)
    path = f"/v1/workspaces/{backend.workspace_id}/tokens"
    found = read_rows(TokenInfo, backend.api.request("GET", path, answer=[TokenInfo]))
    return [t | {"role": None} if t.get("role") == "-" else t for t in found]


ENDED_SHOWN_DAYS = 30  # how long `token list` shows a token after it ended (--all: always)


def recent_tokens(found: list[dict[str, Any]], now: datetime) -> tuple[list[dict[str, Any]], int]:
    """The rows of ``found`` that `token list` shows without ``--all``: every live token, and
    each that ended (revoked, or rotated out) in the last ``ENDED_SHOWN_DAYS`` days (an older
    server does not say when: shown); and how many tokens it leaves out."""
    since = now - timedelta(days=ENDED_SHOWN_DAYS)
    old = {
        t["principal"]["id"] for t in found if t.get("ended_at") and as_utc(t["ended_at"]) < since
    }
    return [t for t in found if t["principal"]["id"] not in old], len(old)
