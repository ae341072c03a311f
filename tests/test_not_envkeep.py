"""An answer no envkeep API route gave (another program at the URL, a path in the server URL,
a server older than a route) says so with the URL to check, as an unreachable server does,
where it used to be a bare "Not Found"; envkeep's own problems keep their errors, and a
server's failure names the request id its operator finds it by."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from sqlalchemy import exc

from envkeep.api.problems import failed, for_error, problem
from envkeep.client.api_client import ApiClient
from envkeep.client.http import raise_problem
from envkeep.core.errors import (
    EnvkeepError,
    NotAnEnvkeepRoute,
    ProjectNotFound,
    RateLimited,
    ServerFailed,
    StoreUnavailable,
    UnreachableError,
)

URL = "http://127.0.0.1:18651/prefix/v1/whoami"


def _answer(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", URL), **kwargs)  # type: ignore[arg-type]


def _envkeeps(status: int, code: str, title: str, **kwargs: object) -> httpx.Response:
    """An answer with the problem body the server itself makes (``api.problems.problem``)."""
    return _answer(status, content=problem(status, code, title).body, **kwargs)


@pytest.mark.parametrize(
    "answer",
    [
        _answer(404, json={"detail": "Not Found"}),  # another web framework
        _answer(501, text="<html>Unsupported method</html>"),  # python -m http.server
        _envkeeps(404, "not_found", "Not Found"),  # envkeep, no such route
    ],
)  # fmt: skip
def test_an_answer_from_no_envkeep_route_names_the_url_to_check(answer: httpx.Response) -> None:
    with pytest.raises(NotAnEnvkeepRoute) as raised:
        raise_problem(answer)
    error = raised.value
    assert error.exit_code == 5
    assert error.message.startswith(f"http://127.0.0.1:18651 answered {answer.status_code} for")
    assert "/prefix/v1/whoami" in error.message
    assert error.hint is not None
    assert "check the server URL" in error.hint


def test_envkeeps_own_problems_keep_their_errors() -> None:
    with pytest.raises(EnvkeepError) as raised:
        raise_problem(_envkeeps(404, "project_not_found", "project 'shop' not found"))
    assert type(raised.value) is ProjectNotFound
    assert raised.value.message == "project 'shop' not found"


def test_too_many_requests_says_when_to_retry_once() -> None:
    answer = _envkeeps(429, "rate_limited", "too many requests", headers={"Retry-After": "3"})
    with pytest.raises(EnvkeepError) as raised:
        raise_problem(answer)
    assert (raised.value.message, raised.value.hint) == ("too many requests", "retry in 3 s")
    assert type(raised.value) is RateLimited
    assert (raised.value.exit_code, raised.value.retry_after) == (5, 3)  # wait; not 4 (refused)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_failing_or_absent_server_behind_a_proxy_is_out_of_reach_not_the_wrong_url(
    status: int,
) -> None:
    with pytest.raises(UnreachableError) as raised:
        raise_problem(_answer(status, text="<html>Bad Gateway</html>"))
    assert not isinstance(raised.value, NotAnEnvkeepRoute)  # a kept copy may stand in
    assert (
        raised.value.message
        == f"http://127.0.0.1:18651 answered {status}: the server is down or failing"
    )


ID = "0123456789abcdef0123456789abcdef"


def test_a_servers_failure_names_its_request_id_and_says_to_retry() -> None:
    answer = _answer(500, content=failed(ID).body, headers={"X-Request-ID": ID})
    with pytest.raises(ServerFailed) as raised:
        raise_problem(answer)
    error = raised.value
    assert error.message == f"the server failed with an error of its own (request id {ID})"
    assert error.hint is not None
    assert error.hint.startswith("retry; if it persists, give the server's operator")
    assert isinstance(error, UnreachableError)  # exit 5; a kept copy may stand in for a read
    assert not isinstance(error, NotAnEnvkeepRoute)
    assert error.exit_code == 5


def test_a_failure_whose_words_leave_out_the_id_gets_it_from_the_header() -> None:
    answer = _envkeeps(500, "internal", "the server failed", headers={"X-Request-ID": ID})
    with pytest.raises(ServerFailed) as raised:
        raise_problem(answer)
    assert raised.value.message == f"the server failed (request id {ID})"
    assert raised.value.hint is not None
    assert "operator" in raised.value.hint


def test_an_older_servers_plain_500_names_the_request_id_too() -> None:
    plain = _answer(500, text="Internal Server Error", headers={"X-Request-ID": ID})
    with pytest.raises(UnreachableError) as raised:
        raise_problem(plain)
    assert type(raised.value) is UnreachableError
    assert raised.value.message == (
        f"http://127.0.0.1:18651 answered 500: the server is down or failing (request id {ID})"
    )


def test_a_request_id_that_is_no_plain_id_is_not_printed() -> None:
    odd = "\x1b]0;pwned\x07"
    answer = _envkeeps(500, "internal", "the server failed", headers={"X-Request-ID": odd})
    with pytest.raises(ServerFailed) as raised:
        raise_problem(answer)
    assert raised.value.message == "the server failed"


def test_another_program_answering_200_with_html_is_named() -> None:
    html = httpx.MockTransport(lambda _request: httpx.Response(200, text="<html>hi</html>"))
    api = ApiClient("http://127.0.0.1:18651", transport=html)
    with pytest.raises(NotAnEnvkeepRoute, match="answered 200 for /v1/whoami"):
        api.request("GET", "/v1/whoami")


def test_a_server_whose_database_does_not_answer_is_out_of_reach() -> None:
    """The server's own 503 for a database down (its answer to the driver's error, as
    ``problems`` makes it) is out of reach to the CLI: exit 5, so that `run` may fall back on
    a kept copy (``HttpBackend.read_environment``), as for a server that does not answer."""
    down = exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open"))
    answer = for_error(down)
    assert answer is not None
    with pytest.raises(UnreachableError) as raised:
        raise_problem(_answer(answer.status_code, content=answer.body))
    assert type(raised.value) is StoreUnavailable
    assert raised.value.exit_code == 5
    assert raised.value.message == "the server's database does not answer"
    assert raised.value.hint == "retry in a moment"


def test_an_older_servers_method_not_allowed_is_no_route_and_names_the_upgrade() -> None:
    # A server from before a route answers its new method on an old path (GET …/invites,
    # where only POST was) with the framework's 405, which read as a bare "Method Not Allowed".
    with pytest.raises(NotAnEnvkeepRoute) as raised:
        raise_problem(_envkeeps(405, "method_not_allowed", "Method Not Allowed"))
    assert raised.value.message.startswith("http://127.0.0.1:18651 answered 405 for")
    assert raised.value.hint is not None
    assert "the server is older than this envkeep" in raised.value.hint
    assert "envkeep server migrate" in raised.value.hint
