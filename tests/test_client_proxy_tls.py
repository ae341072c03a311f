"""An https:// proxy: the client speaks TLS to the proxy itself and checks its certificate
(SSL_CERT_FILE's CAs trusted), and a certificate it cannot trust is told as the proxy's, not
as an http:// server out of reach (`client/unreachable`)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import UnreachableError
from tests.hostile_server import Handler, reply, serving
from tests.test_client_proxy import _Proxy, _self_signed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _json(handler: Handler, _body: bytes) -> None:
    reply(handler, 200, [("Content-Type", "application/json")], b'["through"]')


@contextlib.contextmanager
def _tls_proxy(cert_file: Path, key_file: Path) -> Iterator[tuple[str, list[str]]]:
    """A forwarding proxy that clients reach over TLS with ``cert_file``: its https:// URL, and
    the request line of each request it carried."""
    proxy = _Proxy()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    proxy.socket = context.wrap_socket(proxy.socket, server_side=True)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{proxy.server_address[1]}", proxy.seen
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_an_https_proxy_trusted_through_ssl_cert_file_carries_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    with serving(_json) as (url, _seen), _tls_proxy(cert_file, key_file) as (proxy, seen):
        api = ApiClient(url, proxies={"http": proxy})
        got = api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert got == ["through"]
    assert seen == [f"GET {url}/v1/workspaces/w/projects"]


def test_an_untrusted_https_proxy_s_certificate_is_told_as_the_proxy_s_not_the_server_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with serving(_json) as (url, _seen), _tls_proxy(cert_file, key_file) as (proxy, seen):
        api = ApiClient(url, proxies={"http": proxy})
        with pytest.raises(UnreachableError) as refused:
            api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert seen == []  # nothing went through a proxy the client could not verify
    assert refused.value.message.startswith(  # OpenSSL's words for the reason vary by version
        f"cannot reach the proxy {proxy} (HTTP_PROXY) on the way to {url}"
        " (TLS certificate not trusted: "
    )
    assert "the proxy's TLS certificate is not trusted here" in str(refused.value.hint)
    assert "SSL_CERT_FILE" in str(refused.value.hint)
