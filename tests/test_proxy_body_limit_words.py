"""A 413 that envkeep server did not give (its own is problem+json, code too_large) comes from
a proxy in front of it limiting request bodies: the words say so and how to raise the limit,
rather than that something other than envkeep answers at the URL."""

from __future__ import annotations

import httpx
import pytest

from envkeep.client.problem_errors import raise_problem
from envkeep.core import errors

URL = "https://envkeep.example.com/v1/workspaces/w/projects/p/environments/prod/secrets"


def _answer(status: int, content: bytes, content_type: str) -> httpx.Response:
    request = httpx.Request("POST", URL)
    return httpx.Response(
        status, content=content, headers={"content-type": content_type}, request=request
    )


def test_a_proxys_413_says_a_proxy_limits_bodies() -> None:
    page = b"<html><body><h1>413 Request Entity Too Large</h1>nginx</body></html>"

    with pytest.raises(errors.EnvkeepError) as caught:
        raise_problem(_answer(413, page, "text/html"))

    assert not isinstance(caught.value, errors.NotAnEnvkeepRoute)
    assert "too large (413)" in caught.value.message
    assert "client_max_body_size" in (caught.value.hint or "")
    assert "nginx</body>" not in caught.value.message


def test_envkeep_servers_own_413_keeps_its_words() -> None:
    body = (
        b'{"type":"https://envkeep.dev/problems/too_large","code":"too_large",'
        b'"title":"request bodies are limited to 1048576 bytes","status":413}'
    )

    with pytest.raises(errors.EnvkeepError) as caught:
        raise_problem(_answer(413, body, "application/problem+json"))

    assert caught.value.message == "request bodies are limited to 1048576 bytes"
