"""A server whose TLS asks for a client certificate (mutual TLS in front of it) is told as
asking for one, not as a certificate this client does not trust, nor as a plain HTTP server or
one that took a change and broke off (`network_words.tls_failure`, read from the ``ssl``
errors in the chain, never from the error's text, which names "CERTIFICATE" in both)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.client._httpx import httpx
from envkeep.client.api_client import ApiClient
from envkeep.client.network_words import TlsFailure, tls_failure
from envkeep.core.errors import UnreachableError
from tests.hostile_server import Handler, _Server, reply
from tests.test_client_proxy import _self_signed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _json(handler: Handler, _body: bytes) -> None:
    reply(handler, 200, [("Content-Type", "application/json")], b"{}")


@contextlib.contextmanager
def _tls_server(
    cert_file: Path, key_file: Path, *, clients: bool, most: ssl.TLSVersion | None = None
) -> Iterator[str]:
    """A stub over TLS with ``cert_file``; ``clients``: it requires a client certificate;
    ``most``: the highest TLS version it speaks."""
    server = _Server(0, _json)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    if clients:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cert_file)
    if most is not None:
        context.maximum_version = most
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _refusal(url: str, method: str = "GET") -> UnreachableError:
    api = ApiClient(url, proxies={})
    try:
        with pytest.raises(UnreachableError) as refused:
            api.request(method, "/v1/workspaces/w/projects", json={} if method == "POST" else None)
    finally:
        api.close()
    return refused.value


def test_a_server_asking_for_a_client_certificate_says_so_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # its own certificate is trusted
    with _tls_server(cert_file, key_file, clients=True) as url:
        refused = _refusal(url, "POST")

    # TLS 1.3 refuses it at the first read, once the request was sent: still nothing ran
    assert (
        refused.message == f"cannot reach {url} (TLS refused: a client certificate was asked for)"
    )
    assert refused.hint == (
        "the server asked for a TLS client certificate, and envkeep sends none: ask its"
        " operator for a URL that does not require one"
    )


def test_a_tls_1_2_server_asking_for_a_client_certificate_is_not_told_as_plain_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    with _tls_server(cert_file, key_file, clients=True, most=ssl.TLSVersion.TLSv1_2) as url:
        refused = _refusal(url)

    assert refused.message.startswith(f"cannot reach {url} (TLS failed: ")  # a bare alert
    assert "plain HTTP" not in str(refused.hint)
    assert "not trusted" not in str(refused.hint)
    assert "it may ask for a client certificate (envkeep sends none)" in str(refused.hint)


def test_a_server_certificate_not_trusted_here_is_still_told_as_untrusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with _tls_server(cert_file, key_file, clients=True) as url:
        refused = _refusal(url)

    assert refused.message.startswith(f"cannot reach {url} (TLS certificate not trusted: ")
    assert "client certificate" not in refused.message
    assert str(refused.hint).startswith("its TLS certificate is not trusted here")


def test_an_error_whose_text_names_ssl_with_no_ssl_error_under_it_is_no_tls_failure() -> None:
    told = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] from a hostile proxy's words")
    under = httpx.ConnectError("connect failed")
    under.__cause__ = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED]")
    under.__cause__.reason = "TLSV13_ALERT_CERTIFICATE_REQUIRED"

    assert tls_failure(told) is None
    assert tls_failure(under) is TlsFailure.CLIENT_CERTIFICATE
