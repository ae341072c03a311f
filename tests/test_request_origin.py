"""Where a request came from, as the audit trail records it: the same for an event made before
a session (a login, an invite accepted) as for any other, when the peer is unknown too."""

from __future__ import annotations

from starlette.requests import Request

from envkeep.api.deps import Caller, client_ip, origin


def _request(client: tuple[str, int] | None) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/auth/login",
        "headers": [(b"authorization", b"Bearer t")],
        "client": client,
        "state": {"request_id": "r1"},
    }
    return Request(scope)


def test_a_login_and_a_session_record_the_same_peer() -> None:
    request = _request(("192.0.2.7", 5000))
    assert origin(request).ip == Caller.of(request, "t").ip == "192.0.2.7"
    assert origin(request).request_id == "r1"


def test_an_unknown_peer_is_recorded_as_none_and_limited_as_one_address() -> None:
    request = _request(None)
    assert origin(request).ip is None
    assert Caller.of(request, "t").ip is None
    assert client_ip(request) == "unknown"  # the rate limits' key: every such request shares it
