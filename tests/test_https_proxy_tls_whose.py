"""Through an https:// proxy to an https:// server there are two TLS handshakes, the proxy's
and then the server's inside its tunnel: a certificate not trusted here is told as the one
whose it is (`tls_layers`), where the proxy's was told as the server's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import UnreachableError
from tests.test_client_proxy import _self_signed, _tls_stub
from tests.test_client_proxy_tls import _tls_proxy
from tests.test_something_else_answers import _not_http

if TYPE_CHECKING:
    from pathlib import Path


def _refusal(url: str, proxy: str) -> UnreachableError:
    api = ApiClient(url, proxies={"https": proxy})
    try:
        with pytest.raises(UnreachableError) as refused:
            api.request("GET", "/v1/workspaces/w/projects")
    finally:
        api.close()
    return refused.value


def _two_certificates(tmp_path: Path) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    (tmp_path / "trusted").mkdir()
    (tmp_path / "untrusted").mkdir()
    return _self_signed(tmp_path / "trusted"), _self_signed(tmp_path / "untrusted")


def test_an_untrusted_https_proxy_on_the_way_to_an_https_server_is_told_as_the_proxys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted, untrusted = _two_certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted[0]))
    with _tls_stub(*trusted) as url, _tls_proxy(*untrusted) as (proxy, seen):
        refused = _refusal(url, proxy)

    assert seen == []  # nothing went through a proxy the client could not verify
    assert refused.message.startswith(
        f"cannot reach the proxy {proxy} (HTTPS_PROXY) on the way to {url}"
        " (TLS certificate not trusted: "
    )
    assert "the proxy's TLS certificate is not trusted here" in str(refused.hint)


def test_an_untrusted_https_server_through_a_trusted_https_proxy_is_told_as_the_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted, untrusted = _two_certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted[0]))
    with _tls_stub(*untrusted) as url, _tls_proxy(*trusted) as (proxy, seen):
        refused = _refusal(url, proxy)

    assert seen == [f"CONNECT {url.removeprefix('https://')}"]  # the proxy's TLS held
    assert refused.message.startswith(f"cannot reach {url} (TLS certificate not trusted: ")
    assert str(refused.hint).startswith("its TLS certificate is not trusted here")


def test_both_trusted_the_request_goes_through_the_tunnel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusted, _untrusted = _two_certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(trusted[0]))
    with _tls_stub(*trusted) as url, _tls_proxy(*trusted) as (proxy, _seen):
        api = ApiClient(url, proxies={"https": proxy})
        got = api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert got == ["tls"]


def test_an_https_proxy_url_naming_a_plain_http_proxy_says_to_check_its_scheme() -> None:
    # a plain HTTP proxy answers a TLS hello with its 400 page, as squid does
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    with _not_http(answer) as plain:
        refused = _refusal("https://vault.invalid", plain.replace("http://", "https://"))

    assert refused.message.startswith("cannot reach the proxy https://127.0.0.1:")
    assert "(TLS failed: " in refused.message
    assert refused.hint == (
        "the proxy does not speak TLS: check HTTPS_PROXY's scheme (http:// for most proxies),"
        " or add the server's host to NO_PROXY to go direct"
    )
