"""Every request says which envkeep sent it (`User-Agent: envkeep/VERSION (python X.Y;
platform)`), so that a server can answer a client too old for it by name instead of with
answers it cannot read, and `session list` tells its owner's machines apart."""

from __future__ import annotations

import sys

import httpx

from envkeep import __version__
from envkeep.client.api_client import ApiClient


def test_every_request_names_envkeep_and_its_version_beside_the_token() -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={})

    for token in (None, "ek_sa_example"):
        api = ApiClient("http://127.0.0.1:1", token=token, transport=httpx.MockTransport(answer))
        api.request("GET", "/v1/whoami")
        api.close()

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert [h["user-agent"] for h in seen] == [
        f"envkeep/{__version__} (python {python}; {sys.platform})"
    ] * 2
    assert "authorization" not in seen[0]
    assert seen[1]["authorization"] == "Bearer ek_sa_example"
