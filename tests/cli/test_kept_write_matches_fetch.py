"""The copy a write keeps from its own answer (`client/kept_writes.py`) is the one a fetch of
every scope would have kept, whatever shape the batch has: an update and a new name in one
batch, a deletion, a service's scope, a variable written again, a member's variable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.api_client import ApiClient
from tests.counted_reads import requests_sent

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.snapshot_reads import SnapshotReads

    from .conftest import Envkeep, Homes


def _kept_and_fetched(client: ClientContext) -> tuple[Any, Any]:
    reads: SnapshotReads = client.backend._snapshots  # type: ignore[attr-defined]
    assert reads.cache is not None
    path = reads.path("shop", "dev")
    kept = reads.cache.whole_copy(path)
    fetched = client.backend.api.request("GET", path, params={"all_scopes": "true"})  # type: ignore[attr-defined]
    return kept, fetched


WRITES = {
    "update and new": ("set", "LOG_LEVEL=debug", "NEW_ONE=1", "ANOTHER=2", "--env", "dev"),
    "deletion": ("unset", "PORT", "--env", "dev"),
    "service scope": ("set", "PORT=9", "--env", "dev", "-s", "api"),
    "new in service": ("set", "ONLY_API=x", "--env", "dev", "-s", "worker"),
    "across scopes": ("lift", "TIMEOUT", "--env", "dev", "--yes"),
    "written again": ("rollback", "LOG_LEVEL", "--env", "dev", "--to", "1", "--yes"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_kept_copy_brought_past_a_write_is_what_a_fetch_keeps(
    write: str,
    client: ClientContext,
    envkeep: Envkeep,
    homes: Homes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "PORT=3000", "--env", "dev")
    quick_ok(envkeep, "set", "LOG_LEVEL=warn", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=4000", "TIMEOUT=5", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "set", "TIMEOUT=5", "--env", "dev", "-s", "worker")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")
    sent = requests_sent(monkeypatch)

    quick_ok(envkeep, *WRITES[write])

    assert sent[-1] == "POST secrets", sent  # no read of the environment after the write
    kept, fetched = _kept_and_fetched(client)
    assert kept == fetched


def _as_an_older_server(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A write's answer without its versions' time, as a server before `written_at` gave it;
    every request sent, as ``METHOD last-part``."""
    sent: list[str] = []
    request = ApiClient.request

    def older(api: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
        sent.append(f"{method} {path.rsplit('/', 1)[-1]}")
        answer = request(api, method, path, **kwargs)
        if method == "POST" and path.endswith("/secrets"):
            return {"revision": answer["revision"]}
        return answer

    monkeypatch.setattr(ApiClient, "request", older)
    return sent


def test_an_older_server_s_write_answer_keeps_a_copy_fetched_again(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")
    sent = _as_an_older_server(monkeypatch)

    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "--env", "dev")

    assert sent[-2:] == ["POST secrets", "GET snapshot"]  # read again: no time to keep
    kept, fetched = _kept_and_fetched(client)
    assert kept == fetched


def test_a_copy_from_before_another_write_is_fetched_again_not_brought_past_this_one(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")
    reads: SnapshotReads = client.backend._snapshots  # type: ignore[attr-defined]
    assert reads.cache is not None
    before = {p: p.read_bytes() for p in reads.cache.directory.glob("*/*.json")}
    quick_ok(envkeep, "set", "BETWEEN=1", "--env", "dev")  # the write this copy misses
    for path, held in before.items():  # as if another machine had made it
        path.write_bytes(held)
    sent = requests_sent(monkeypatch)

    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "--env", "dev")

    assert sent[-2:] == ["POST secrets", "GET snapshot"]
    kept, fetched = _kept_and_fetched(client)
    assert kept == fetched
    assert len(kept["secrets"]) == 2  # BETWEEN too
