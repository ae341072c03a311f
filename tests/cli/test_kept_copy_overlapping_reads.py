"""Two commands of one machine reading an environment at once: a read whose answer, older
than the write another process made meanwhile, arrives and is opened after that process kept
the newer copy, leaves that copy kept, not its own. Offline, the newer values are served."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.client.api_client import ApiClient

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext
    from envkeep.client.snapshot_reads import SnapshotReads

    from .conftest import Envkeep, Homes

OUT_OF_REACH = {"HTTP_PROXY": "http://127.0.0.1:18198", "http_proxy": None, "NO_PROXY": None}
OUT_OF_REACH |= {"no_proxy": None, "ALL_PROXY": None, "all_proxy": None}


def _answered_after_a_write(envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next snapshot read: answered by the server, then, before that answer is opened,
    another process writes (and keeps its copy); the revisions of both, in that order."""
    seen: list[int] = []
    request = ApiClient.request

    def overlapped(api: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
        answer = request(api, method, path, **kwargs)
        if not seen and path.endswith("/snapshot"):
            seen.append(answer["environment"]["revision"])
            envkeep.ok("set", "LOG_LEVEL=debug", "--env", "dev")  # a real process, meanwhile
            seen.append(request(api, method, path, **kwargs)["environment"]["revision"])
        return answer

    monkeypatch.setattr(ApiClient, "request", overlapped)
    return seen


def test_an_answer_older_than_the_copy_another_process_kept_meanwhile_leaves_that_copy(
    client: ClientContext, envkeep: Envkeep, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")  # keeps a copy of every scope
    revisions = _answered_after_a_write(envkeep, monkeypatch)

    quick_ok(envkeep, "validate", "--env", "dev", "--all")

    older, newer = revisions
    assert newer == older + 1
    reads: SnapshotReads = client.backend._snapshots  # type: ignore[attr-defined]
    assert reads.cache is not None
    assert reads.cache.whole_copy(reads.path("shop", "dev"))["environment"]["revision"] == newer
    offline = envkeep("get", "LOG_LEVEL", "--env", "dev", env=OUT_OF_REACH)
    assert offline.code == 0, offline.describe()
    assert offline.stdout == "debug\n"
