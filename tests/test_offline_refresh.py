"""The copy kept offline of an environment a write changed is read again after the write, and
deleted when that read fails, whatever the reason: a server gone between the write and the
read (the old copy must not answer it), a refusal, an answer that does not parse. The write
stands in every case, and says nothing of copies."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.app.views import SecretWrite
from envkeep.client.http import HttpBackend
from envkeep.client.offline import SnapshotCache
from envkeep.core.errors import PermissionDenied, UnreachableError

if TYPE_CHECKING:
    from pathlib import Path

WS = "w" * 8
SNAPSHOT = f"/v1/workspaces/{WS}/projects/shop/environments/dev/snapshot"


class _Api:
    """Takes the write; answers the read after it with ``after`` (raised if an exception)."""

    def __init__(self, after: object) -> None:
        self.after = after
        self.asked: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **_kw: Any) -> Any:
        self.asked.append((method, path))
        if method == "POST":
            return {"revision": 2}
        if isinstance(self.after, Exception):
            raise self.after
        return self.after


def _write() -> SecretWrite:
    return SecretWrite(str(uuid.uuid4()), "shared", b"i" * 32, 0, 1, b"n", b"v", b"s" * 64)


@pytest.mark.parametrize(
    "after",
    [
        UnreachableError("cannot reach the server"),
        PermissionDenied("no role here any more"),
        {"not": "a snapshot"},
    ],
    ids=["unreachable", "refused", "unparsable"],
)
def test_a_copy_that_cannot_be_read_again_after_a_write_is_deleted(
    tmp_path: Path, after: object
) -> None:
    said: list[str] = []
    cache = SnapshotCache(tmp_path / "kept", notify=said.append, loads=False)
    cache.save(SNAPSHOT, None, {"environment": {"id": "e"}, "secrets": []})
    api = _Api(after)
    backend = HttpBackend(api, WS, cache)  # type: ignore[arg-type]

    revision = backend.write_secrets("shop", "dev", [_write()])

    assert revision == 2
    assert [m for m, _ in api.asked] == ["POST", "GET"]
    assert not cache.holds_copies(SNAPSHOT)
    assert said == []  # no "using the copy" after a write the server took
    assert not backend.read_kept_copy


def test_no_copy_kept_no_read_after_a_write(tmp_path: Path) -> None:
    api = _Api(UnreachableError("not asked"))
    backend = HttpBackend(api, WS, SnapshotCache(tmp_path / "kept", loads=False))  # type: ignore[arg-type]

    assert backend.write_secrets("shop", "dev", [_write()]) == 2
    assert [m for m, _ in api.asked] == ["POST"]
