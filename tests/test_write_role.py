"""`client/write_role.py`: when a write command asks the server to refuse a reader first (the
write with nothing in it), and what it makes of the answer; and the role a kept offline copy
says, which no write goes by."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest

from envkeep.api.snapshot_json import snapshot_json
from envkeep.app.views import EnvironmentSnapshot, EnvironmentView, ProjectView
from envkeep.client.api_client import ApiClient
from envkeep.client.http import HttpBackend
from envkeep.client.offline import SnapshotCache
from envkeep.client.write_role import refuse_unless_writable
from envkeep.core.errors import EnvkeepError, PermissionDenied, UnreachableError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

REFUSAL = PermissionDenied(
    "you need the write role on environment shop/dev (you have: read there)",
    hint="ask an admin of environment shop/dev to grant it (alice@x.io)",
    needed="write",
)


class Server:
    """A backend that answers every write with ``answer`` (raised), and counts the writes."""

    def __init__(self, answer: EnvkeepError | None = None) -> None:
        self.answer = answer
        self.writes: list[tuple[str, str, int, bool]] = []

    def write_secrets(
        self, project: str, environment: str, writes: list[Any], *, confirmed: bool = False
    ) -> int:
        self.writes.append((project, environment, len(writes), confirmed))
        if self.answer is not None:
            raise self.answer
        return 1


def _case(role: str | None, server: Server) -> tuple[ClientContext, OpenEnvironment]:
    ctx = SimpleNamespace(backend=server, project_file=SimpleNamespace(project="shop"))
    snapshot = SimpleNamespace(role=role, environment=SimpleNamespace(name="dev"))
    return cast("ClientContext", ctx), cast("OpenEnvironment", SimpleNamespace(snapshot=snapshot))


@pytest.mark.parametrize("role", ["write", "admin"])
def test_a_writer_sends_nothing_more(role: str) -> None:
    server = Server(REFUSAL)
    refuse_unless_writable(*_case(role, server), ask=True)
    assert server.writes == []


def test_a_reader_gets_the_servers_refusal_of_an_empty_write() -> None:
    server = Server(REFUSAL)
    with pytest.raises(PermissionDenied) as refused:
        refuse_unless_writable(*_case("read", server))
    assert refused.value is REFUSAL
    assert server.writes == [("shop", "dev", 0, True)]  # nothing in it, no confirmation asked


def test_a_note_is_added_to_the_servers_words() -> None:
    with pytest.raises(PermissionDenied) as refused:
        refuse_unless_writable(*_case("read", Server(REFUSAL)), note="the editor was not opened")
    assert refused.value.message == f"{REFUSAL.message}; the editor was not opened"
    assert (refused.value.hint, refused.value.needed) == (REFUSAL.hint, "write")


def test_a_role_granted_since_the_read_lets_the_command_go_on() -> None:
    server = Server(UsageError("nothing to write"))
    refuse_unless_writable(*_case("read", server))
    assert len(server.writes) == 1


@pytest.mark.parametrize("role", [None, "owner"])  # not said, or not a role known here
def test_a_read_that_does_not_say_asks_only_when_told_to(role: str | None) -> None:
    server = Server(REFUSAL)
    refuse_unless_writable(*_case(role, server))
    assert server.writes == []
    with pytest.raises(PermissionDenied):
        refuse_unless_writable(*_case(role, server), ask=True)


def test_a_copy_kept_offline_says_no_role(tmp_path: Path) -> None:
    """The role held when it was fetched: a write is never judged by it."""
    snapshot = EnvironmentSnapshot(
        ProjectView("p1", "ws", "shop"),
        EnvironmentView("e1", "p1", "dev", 1, 3, False, None),
        (),
        (),
        (),
        (),
        "write",
    )
    cache = SnapshotCache(tmp_path)
    path = "/v1/workspaces/ws/projects/shop/environments/dev/snapshot"
    cache.save(path, None, json.loads(snapshot_json(snapshot)))

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api = ApiClient("http://keep.invalid", transport=httpx.MockTransport(unreachable))
    read = HttpBackend(api, "ws", cache).read_environment("shop", "dev", None)
    assert read.environment.revision == 3  # the kept copy
    assert read.role is None
    with pytest.raises(UnreachableError):
        HttpBackend(api, "ws").read_environment("shop", "dev", None)
