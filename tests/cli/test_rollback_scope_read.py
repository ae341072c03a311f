"""`rollback --to-time` reads what a scope held at a time in one request (`versions_at`), not a
history per name: one round trip and one audit event for a scope of any size; a server older
than that read is asked the old way; an answer that does not verify, or is not what was asked,
stops the plan as a history that does not verify does.

One level below the CLI, as test_write_rotation.py; on both backends.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from envkeep import crypto
from envkeep.app.reads import SHARED_SCOPE
from envkeep.client import scope_rollback
from envkeep.client.vault import OpenEnvironment
from envkeep.core.auditchain import AuditQuery
from envkeep.core.errors import IntegrityError, NotAnEnvkeepRoute
from envkeep.core.timestamps import utc_second

from .conftest import server_only

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.views import PrincipalView, VersionView
    from envkeep.client.backend import Backend
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import Identity

    from .conftest import Homes

    Answer = tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]

NAMES = [f"VAR_{n:02}" for n in range(30)]


def write(backend: Backend, identity: Identity, changes: dict[str, str | None]) -> None:
    planned = OpenEnvironment.read(backend, identity, "shop", "dev", None).plan_writes(
        SHARED_SCOPE, changes
    )
    backend.write_secrets("shop", "dev", planned)


def _next_second() -> datetime:
    """Now, to the second, once the clock has gone past it (versions are timed to the second)."""
    moment = datetime.now(UTC).replace(microsecond=0)
    while datetime.now(UTC).replace(microsecond=0) <= moment:
        time.sleep(0.02)
    return moment


@pytest.fixture
def moment(client: ClientContext, identity: Identity) -> datetime:
    """dev's shared scope held NAMES (each "v1") at the time returned; since, VAR_00 changed,
    VAR_01 was deleted and NEW created."""
    write(client.backend, identity, dict.fromkeys(NAMES, "v1"))
    then = _next_second()
    write(client.backend, identity, {"VAR_00": "v2", "VAR_01": None, "NEW": "1"})
    return then


def _counted(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> dict[str, int]:
    """How often the plan calls each of the backend's history reads."""
    calls = {"secret_history": 0, "versions_at": 0}
    for name in calls:
        real = getattr(backend, name)

        def counting(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(backend, name, counting)
    return calls


def _planned(client: ClientContext, moment: datetime) -> list[tuple[str, str]]:
    plan = scope_rollback.plan_scope_rollback(client, "dev", None, moment)
    return [(c.name, c.kind) for c in plan.changes]


EXPECTED = [
    ("NEW", scope_rollback.DELETED),
    ("VAR_00", scope_rollback.SET_BACK),
    ("VAR_01", scope_rollback.RESTORED),
]


def test_a_scope_of_many_names_is_read_back_in_one_call(
    client: ClientContext, moment: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counted(monkeypatch, client.backend)

    assert _planned(client, moment) == EXPECTED

    assert calls == {"secret_history": 0, "versions_at": 1}


def test_on_a_server_it_is_one_request_and_one_audit_event(
    client: ClientContext, moment: datetime, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "requests and read events")
    backend: Any = client.backend
    history = AuditQuery(action="secrets.history", limit=1000)
    before = len(backend.audit_events(history).events)
    paths: list[str] = []
    real = backend.api.request

    def recording(method: str, path: str, **kwargs: Any) -> Any:
        paths.append(path)
        return real(method, path, **kwargs)

    monkeypatch.setattr(backend.api, "request", recording)
    assert _planned(client, moment) == EXPECTED
    monkeypatch.undo()

    assert [p for p in paths if p.endswith("/versions")] == [
        f"/v1/workspaces/{backend.workspace_id}/projects/shop/environments/dev/versions"
    ]
    events = backend.audit_events(history).events[before:]
    assert len(events) == 1
    details = json.loads(events[0].details)
    assert details.pop("project_id") == events[0].project_id is not None  # shop's
    # Every name the scope held then (VAR_01's version then included), not NEW.
    assert details == {"scope": "shared", "at": utc_second(moment), "secrets": len(NAMES)}


def test_an_older_server_without_the_read_is_asked_for_each_names_history(
    client: ClientContext, moment: datetime, homes: Homes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "a server older than the route")
    backend: Any = client.backend
    real = backend.api.request

    def older(method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/environments/dev/versions"):  # a route this server does not have
            with pytest.raises(NotAnEnvkeepRoute) as unknown:
                real(method, f"{path}-not-served-here", **kwargs)
            raise unknown.value
        return real(method, path, **kwargs)

    monkeypatch.setattr(backend.api, "request", older)
    calls = _counted(monkeypatch, backend)

    assert _planned(client, moment) == EXPECTED

    assert calls == {"secret_history": len(NAMES) + 1, "versions_at": 1}


def _answering(
    monkeypatch: pytest.MonkeyPatch, backend: Backend, change: Callable[[Answer], Answer]
) -> None:
    """The backend's `versions_at` answers, changed by ``change`` (a server that lies)."""
    real = backend.versions_at
    monkeypatch.setattr(backend, "versions_at", lambda *args: change(real(*args)))


def _first(answer: Answer, change: Callable[[VersionView], VersionView]) -> Answer:
    versions, authors = answer
    return (change(versions[0]), *versions[1:]), authors


def _flipped(signature: bytes) -> bytes:
    return bytes([signature[0] ^ 1]) + signature[1:]


TAMPERED: dict[str, Callable[[Answer], Answer]] = {
    "signature": lambda a: _first(a, lambda v: replace(v, signature=_flipped(v.signature))),
    "value": lambda a: _first(a, lambda v: replace(v, value_ct=_flipped(v.value_ct or b"x"))),
    "author's key": lambda a: (
        a[0],
        tuple(replace(p, signing_public=crypto.generate_keys().public().signing) for p in a[1]),
    ),
    "author left out": lambda a: (a[0], ()),
    "a later version": lambda a: _first(a, lambda v: replace(v, created_at="2999-01-01T00:00:00Z")),
    "another scope": lambda a: _first(a, lambda v: replace(v, scope="service:x")),
    "two of one": lambda a: ((a[0][0], *a[0]), a[1]),
}


@pytest.mark.parametrize("how", sorted(TAMPERED))
def test_an_answer_that_does_not_verify_or_was_not_asked_for_stops_the_plan(
    client: ClientContext, moment: datetime, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    _answering(monkeypatch, client.backend, TAMPERED[how])

    with pytest.raises(IntegrityError):
        scope_rollback.plan_scope_rollback(client, "dev", None, moment)
