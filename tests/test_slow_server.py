"""A server that takes the connection but does not answer in time is told apart from one that
cannot be reached: "cannot reach … (ReadTimeout)" sent a CI job to check a URL that worked,
and a write that timed out may have landed all the same, which a retry should know."""

from __future__ import annotations

import httpx
import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.http import TIMEOUT
from envkeep.core.errors import UnreachableError


def _failing(error: type[httpx.TransportError]) -> httpx.MockTransport:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("timed out", request=request)

    return httpx.MockTransport(fail)


def _refusal(error: type[httpx.TransportError], method: str) -> UnreachableError:
    api = ApiClient("http://127.0.0.1:8600", transport=_failing(error))
    with pytest.raises(UnreachableError) as raised:
        api.request(method, "/v1/whoami")
    api.close()
    return raised.value


def test_a_read_timeout_says_the_server_did_not_answer_in_time() -> None:
    refused = _refusal(httpx.ReadTimeout, "GET")

    assert refused.exit_code == 5  # try again later, as for a server out of reach
    assert refused.message == (f"http://127.0.0.1:8600 did not answer within {TIMEOUT.read:.0f} s")
    assert "cannot reach" not in refused.message
    assert refused.hint is not None
    assert "may have been applied" not in refused.hint  # a read changes nothing


def test_a_write_that_timed_out_may_have_landed_and_the_hint_says_so() -> None:
    refused = _refusal(httpx.ReadTimeout, "POST")

    assert refused.hint is not None
    assert "may have been applied" in refused.hint


def test_a_connection_that_fails_is_still_out_of_reach() -> None:
    for error in (httpx.ConnectError, httpx.ConnectTimeout):
        refused = _refusal(error, "POST")
        assert refused.message.startswith("cannot reach http://127.0.0.1:8600 ("), refused
        assert refused.hint is not None
        assert "may have been applied" not in refused.hint


def test_a_connection_closed_before_the_answer_may_have_landed_a_write() -> None:
    """A server killed or restarted while it held the request: a write may have committed."""
    written = _refusal(httpx.RemoteProtocolError, "POST")
    read = _refusal(httpx.RemoteProtocolError, "GET")

    assert written.message.startswith("http://127.0.0.1:8600 sent no complete answer (")
    assert "RemoteProtocolError" not in written.message  # words: tests/test_no_answer_words.py
    assert written.hint is not None
    assert "may have been applied" in written.hint
    assert read.hint is not None
    assert "may have been applied" not in read.hint


def _unavailable(method: str, path: str = "/v1/whoami") -> UnreachableError:
    def answer(request: httpx.Request) -> httpx.Response:
        body = {
            "type": "https://envkeep.dev/problems/unavailable",
            "code": "unavailable",
            "title": "the database does not answer",
            "hint": "retry in a moment",
        }
        headers = {"Retry-After": "5", "X-Request-ID": "5f2b8c0e9a7d4e1f"}
        return httpx.Response(503, json=body, headers=headers)

    api = ApiClient("http://127.0.0.1:8600", transport=httpx.MockTransport(answer))
    with pytest.raises(UnreachableError) as raised:
        api.request(method, path)
    api.close()
    return raised.value


def test_a_write_whose_database_failed_under_it_may_have_landed() -> None:
    """A 503 from a database that died at the commit: the write's fate is unknown."""
    written, read = _unavailable("POST"), _unavailable("GET")

    assert written.hint is not None
    assert written.hint.endswith("; the change may have been applied: check (envkeep list,"
                                 " history) before retrying")  # fmt: skip
    assert read.hint == (
        "retry in a moment; if it persists, give the server's operator the request id"
    )


def test_a_database_that_goes_on_failing_is_for_the_operator_with_the_request_id() -> None:
    """A server whose database is full or gone answers 503 to everything: retrying alone never
    helps, and the operator finds the cause in the log line with that id."""
    refused = _unavailable("GET")

    assert refused.message == "the database does not answer (request id 5f2b8c0e9a7d4e1f)"


@pytest.mark.parametrize(
    "path", ["/v1/auth/prelogin", "/v1/auth/login", "/v1/account/passphrase/check"]
)
def test_a_login_whose_database_failed_is_not_told_to_look_for_a_change(path: str) -> None:
    """`envkeep login` against a stopped database said "the change may have been applied:
    check (envkeep list, history)": a login's proof changes nothing to look for."""
    assert _unavailable("POST", path).hint == (
        "retry in a moment; if it persists, give the server's operator the request id"
    )
