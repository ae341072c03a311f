"""A server out of reach is said in words from the failure under httpx's error ("connection
refused", "name not found", a TLS failure), not as httpx's class name (``ConnectError``), with
what follows it (the hint, the offline note) kept."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from envkeep.client._httpx import httpx
from envkeep.client.api_client import ApiClient
from envkeep.client.network_words import what_failed
from envkeep.core.errors import UnreachableError
from tests.hostile_server import Handler, reply, serving
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "ek_sa_11111111-2222-3333-4444-555555555555_" + "A" * 43  # a 32-byte secret


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed on leaving: nothing listens there


def _refusal(url: str) -> UnreachableError:
    api = ApiClient(url, proxies={})
    try:
        with pytest.raises(UnreachableError) as refused:
            api.request("GET", "/v1/whoami")
    finally:
        api.close()
    return refused.value


def test_a_command_to_a_port_nothing_listens_on_says_connection_refused(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    done = cli(
        tmp_path / "ci",
        tmp_path,
        "run",
        "--env",
        "dev",
        "--",
        "true",
        ENVKEEP_TOKEN=TOKEN,
        ENVKEEP_SERVER=url,
        ENVKEEP_PROJECT="shop",
    )

    assert done.returncode == 5, done.stderr
    assert f"error: cannot reach {url} (connection refused)" in done.stderr
    assert "Error)" not in done.stderr  # no class name
    assert "with ENVKEEP_TOKEN no kept copy stands in for it" in done.stderr  # kept


def test_a_host_name_that_does_not_resolve_says_so() -> None:
    refused = _refusal("http://no-such-host.invalid")

    # .invalid never resolves (RFC 6761); a resolver that cannot be asked fails the lookup
    assert refused.message in (
        "cannot reach http://no-such-host.invalid (name not found)",
        "cannot reach http://no-such-host.invalid (name lookup failed)",
    )
    assert "check the URL and your network" in str(refused.hint)


def test_an_https_url_to_a_plain_http_server_says_tls_failed() -> None:
    def answer(handler: Handler, _body: bytes) -> None:
        reply(handler, 200, [], b"{}")

    with serving(answer) as (url, _seen):
        secure = url.replace("http://", "https://")
        refused = _refusal(secure)

    assert refused.message.startswith(f"cannot reach {secure} (TLS failed")
    assert "it answers plain HTTP, not TLS" in str(refused.hint)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (httpx.ConnectTimeout("timed out"), "timed out connecting"),
        (httpx.WriteTimeout("timed out"), "timed out sending"),
        (httpx.ReadError(""), "the connection failed while reading"),
    ],
    ids=["connect-timeout", "write-timeout", "read-error"],
)
def test_a_failure_with_nothing_under_it_is_said_by_what_its_class_stands_for(
    error: httpx.TransportError, words: str
) -> None:
    assert what_failed(error) == words
