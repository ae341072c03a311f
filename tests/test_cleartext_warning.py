"""Which server URLs the CLI warns about (plain HTTP off this machine), and the hint for a
certificate the client does not trust."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.server_urls import cleartext_warning
from envkeep.core.errors import UnreachableError
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    "url",
    [
        "http://keep.example.com",
        "http://10.0.0.5:8600",
        "http://[fd00::1]:8600/",
        "HTTP://Keep.Example.com",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
    ],
)
def test_plain_http_to_another_host_is_warned_of(url: str) -> None:
    warning = cleartext_warning(url)

    assert warning is not None
    assert "will go over the network in clear" in warning
    assert "TLS-terminating proxy" in warning


@pytest.mark.parametrize(
    "url",
    [
        "https://keep.example.com",
        "http://127.0.0.1:8600",
        "http://127.8.9.10",
        "http://[::1]:8600",
        "http://localhost:8600/",
        "http://LOCALHOST",
    ],
)
def test_https_and_loopback_are_not_warned_of(url: str) -> None:
    assert cleartext_warning(url) is None


def test_an_untrusted_certificate_is_told_apart_from_a_plain_http_server() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        # as httpx raises it: from the ssl error, which is what is read (never the text)
        raise httpx.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request
        ) from ssl.SSLCertVerificationError(1, "certificate verify failed")

    api = ApiClient("https://keep.example.com", transport=httpx.MockTransport(refuse))
    with pytest.raises(UnreachableError) as raised:
        api.request("GET", "/v1/whoami")
    api.close()

    assert raised.value.hint is not None
    assert raised.value.hint.startswith("its TLS certificate is not trusted here")
    assert "plain HTTP" not in raised.value.hint


def test_a_token_sent_to_its_checkouts_plain_http_server_is_warned_of(tmp_path: Path) -> None:
    """CI: ENVKEEP_TOKEN and a checkout whose envkeep.toml names an http:// server; no login
    ever warned of that URL (a login's session, warned at the login, is not warned again)."""
    (tmp_path / "envkeep.toml").write_text(
        'project = "shop"\nserver = "http://0.0.0.0:1"\nenvironments = ["dev"]\n',
        encoding="utf-8",
    )
    home = tmp_path / "home"

    with_token = cli(home, tmp_path, "get", "A", "--env", "dev", ENVKEEP_TOKEN="ek_sa_x")
    logged_in = cli(home, tmp_path, "get", "A", "--env", "dev")

    assert with_token.returncode != 0
    assert "warning: 0.0.0.0 is reached over plain http://: the token" in with_token.stderr
    assert logged_in.returncode == 4
    assert "plain http://" not in logged_in.stderr
