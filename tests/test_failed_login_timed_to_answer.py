"""A refused login is timed up to its answer, not to its audit event after it: the request's log
line and its latency histogram would otherwise show how long the account's event took, which an
unknown email never writes, and an operator's metrics would tell a known email from an unknown
one. The event is still written. On SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from structlog.testing import capture_logs

from envkeep.app.audit_append import record_failed_login
from tests.test_lifecycle_failed_logins import WRONG, _login_events, admin, client

if TYPE_CHECKING:
    import pytest
    from fastapi.testclient import TestClient

__all__ = ["admin", "client"]  # the fixtures, shared with test_lifecycle_failed_logins

SLOW_AUDIT_S = 1.5


def _login_seconds(metrics: str) -> float:
    """The latency histogram's sum for POST /v1/auth/login, from the /metrics text."""
    for line in metrics.splitlines():
        if line.startswith("envkeep_request_seconds_sum{") and '"/v1/auth/login"' in line:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no latency recorded for /v1/auth/login")


def test_a_refused_logins_log_line_and_latency_end_at_its_answer(
    client: TestClient, admin: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_audit(*args: Any, **kwargs: Any) -> bool:
        time.sleep(SLOW_AUDIT_S)
        return record_failed_login(*args, **kwargs)

    # What `denials.record_failed_login` appends with, made slow.
    monkeypatch.setattr("envkeep.api.denials.append_failed_login", slow_audit)
    with capture_logs() as lines:
        began = time.perf_counter()
        assert client.post("/v1/auth/login", json=WRONG).status_code == 401
        waited = time.perf_counter() - began
    assert waited >= SLOW_AUDIT_S  # the test client returns once the app is done: audit included
    (line,) = [x for x in lines if x.get("route") == "/v1/auth/login"]
    assert line["status"] == 401
    assert line["ms"] < SLOW_AUDIT_S * 1000
    assert _login_seconds(client.get("/metrics").text) < SLOW_AUDIT_S
    refused = [e for e in _login_events(client, admin["workspace_id"]) if e["outcome"] == "denied"]
    assert len(refused) == 1  # written all the same
