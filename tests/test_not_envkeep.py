"""An answer no envkeep API route gave (another program at the URL, a path in the server URL,
a server older than a route) says so with the URL to check, as an unreachable server does,
where it used to be a bare "Not Found"; envkeep's own problems keep their errors."""

from __future__ import annotations

import httpx
import pytest

from envkeep.api.problems import problem
from envkeep.client.http import ApiClient, raise_problem
from envkeep.core.errors import (
    EnvkeepError,
    NotAnEnvkeepRoute,
    ProjectNotFound,
    RateLimited,
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


def test_another_program_answering_200_with_html_is_named() -> None:
    html = httpx.MockTransport(lambda _request: httpx.Response(200, text="<html>hi</html>"))
    api = ApiClient("http://127.0.0.1:18651", transport=html)
    with pytest.raises(NotAnEnvkeepRoute, match="answered 200 for /v1/whoami"):
        api.request("GET", "/v1/whoami")
