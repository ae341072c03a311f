"""The client through a proxy, as HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY say (as httpx
and curl read them; `client/proxies`): a real CLI's requests go through a real forwarding
proxy (a thread here, CONNECT too), NO_PROXY goes direct, a proxy that is down is named (not
the server), and every guard on answers (size, encoding) holds through it."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.proxies import proxy_for
from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError
from tests.hostile_server import Handler, endless, reply, serving
from tests.server import cli, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.server import TeamServer


class _Relay(socketserver.BaseRequestHandler):
    """One client connection: a CONNECT tunnel, or one request forwarded in origin-form with
    ``Connection: close``, its answer relayed byte for byte as it comes (a drip stays one)."""

    server: _Proxy

    def handle(self) -> None:
        head = _read_head(self.request)
        line, _, rest = head.partition(b"\r\n")
        method, target, version = line.decode().split(" ")
        self.server.seen.append(f"{method} {target}")
        back: threading.Thread | None = None
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            back = threading.Thread(target=_pipe, args=(self.request, upstream), daemon=True)
            back.start()
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((url.hostname or "", url.port or 80))
            headers = [h for h in rest.split(b"\r\n") if h and not _hop(h)]
            path = url.path + (f"?{url.query}" if url.query else "")
            request = [f"{method} {path} {version}".encode(), *headers, b"Connection: close"]
            upstream.sendall(b"\r\n".join(request) + b"\r\n\r\n" + _body(self.request, headers))
        with upstream:
            _pipe(upstream, self.request)
            if back is not None:
                back.join()


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(1)  # one byte at a time: the body stays in the socket
    return data[:-4]


def _hop(header: bytes) -> bool:
    return header.split(b":")[0].strip().lower() in {b"connection", b"proxy-connection"}


def _body(sock: socket.socket, headers: list[bytes]) -> bytes:
    length = next(
        (int(h.split(b":")[1]) for h in headers if h.lower().startswith(b"content-length:")), 0
    )
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return body


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.seen: list[str] = []


@contextlib.contextmanager
def _proxy() -> Iterator[tuple[str, list[str]]]:
    """A forwarding proxy's URL while it runs, and the request line of each request it saw."""
    proxy = _Proxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", proxy.seen
    finally:
        proxy.shutdown()
        proxy.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed on leaving: nothing listens there


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    server = start_server(tmp_path_factory.mktemp("proxied"))
    yield server
    server.stop()


def _login(tmp_path: Path, server: TeamServer, **proxy_env: str) -> tuple[int, str]:
    done = cli(
        tmp_path / "home",
        tmp_path,
        "login",
        server.url,
        "--email",
        "nobody@b.io",
        ENVKEEP_PASSPHRASE="a passphrase",
        **proxy_env,
    )
    return done.returncode, done.stderr


def test_a_command_goes_through_the_proxy_http_proxy_names(
    tmp_path: Path, team_server: TeamServer
) -> None:
    with _proxy() as (proxy, seen):
        code, said = _login(tmp_path, team_server, HTTP_PROXY=proxy, NO_PROXY="")

    assert f"POST {team_server.url}/v1/auth/prelogin" in seen
    assert code == 4, said  # the server's own answer (no such account), through the proxy
    assert "proxy" not in said


def test_no_proxy_naming_the_server_goes_direct(tmp_path: Path, team_server: TeamServer) -> None:
    with _proxy() as (proxy, seen):
        code, said = _login(tmp_path, team_server, HTTP_PROXY=proxy, NO_PROXY="localhost,127.0.0.1")

    assert seen == []
    assert code == 4, said


def test_a_proxy_that_is_down_is_named_with_what_to_do(
    tmp_path: Path, team_server: TeamServer
) -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    code, said = _login(tmp_path, team_server, ALL_PROXY=down, NO_PROXY="")

    assert code == 5, said
    assert (
        f"cannot reach the proxy {down} (ALL_PROXY) on the way to {team_server.url}"
        " (connection refused)" in said
    )
    assert (
        "check that the proxy runs and ALL_PROXY names it, or add the server's host to NO_PROXY"
        in said
    )
    assert "Traceback" not in said


def test_a_socks_proxy_is_refused_by_name_not_with_a_traceback(tmp_path: Path) -> None:
    done = cli(
        tmp_path / "home",
        tmp_path,
        "login",
        "http://envkeep.invalid",
        "--email",
        "nobody@b.io",
        ENVKEEP_PASSPHRASE="a passphrase",
        ALL_PROXY="socks5://127.0.0.1:1080",
        NO_PROXY="",
    )

    assert done.returncode == 2, done.stderr
    assert "ALL_PROXY names a socks5:// proxy; envkeep supports HTTP proxies only" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_endless_answer_through_the_proxy_is_still_cut_at_the_bound() -> None:
    with serving(endless) as (url, _seen), _proxy() as (proxy, seen):
        api = ApiClient(url, proxies={"http": proxy})
        with pytest.raises(NotAnEnvkeepRoute) as refused:
            api.request("GET", "/v1/workspaces/w/projects", most=1024 * 1024)
        api.close()

    assert seen == [f"GET {url}/v1/workspaces/w/projects"]
    assert "answered with more than 1 MiB" in str(refused.value)


def _brotli(handler: Handler, _body: bytes) -> None:
    reply(handler, 200, [("Content-Encoding", "br")], b"[]")


def test_an_encoded_answer_through_the_proxy_is_still_refused() -> None:
    with serving(_brotli) as (url, _seen), _proxy() as (proxy, seen):
        api = ApiClient(url, proxies={"http": proxy})
        with pytest.raises(NotAnEnvkeepRoute, match="an encoding envkeep did not ask for"):
            api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert len(seen) == 1


@pytest.mark.parametrize(
    ("server", "found", "expected"),
    [
        ("https://vault.corp.io", {"https": "proxy.corp:3128"}, "http://proxy.corp:3128"),
        ("https://vault.corp.io", {"http": "http://p:1"}, None),
        ("http://vault.corp.io", {"https": "http://p:1", "all": "http://a:2"}, "http://a:2"),
        ("https://vault.corp.io", {"all": "http://a:2", "no": "corp.io"}, None),
        ("https://corp.io", {"all": "http://a:2", "no": ".corp.io"}, None),  # as curl does
        ("https://vault.corp.io", {"all": "http://a:2", "no": ".corp.io"}, None),
        ("https://notcorp.io", {"all": "http://a:2", "no": "corp.io"}, "http://a:2"),
        ("http://127.0.0.1:8600", {"all": "http://a:2"}, "http://a:2"),  # as httpx does
        ("http://127.0.0.1:8600", {"all": "http://a:2", "no": "127.0.0.1"}, None),
        ("http://LOCALHOST:8600", {"all": "http://a:2", "no": "localhost"}, None),
        ("http://[::1]:8600", {"all": "http://a:2", "no": "::1"}, None),
        (
            "http://vault.corp.io",
            {"all": "http://a:2", "no": "https://vault.corp.io"},
            "http://a:2",
        ),
        ("http://vault.corp.io:81", {"all": "http://a:2", "no": "vault.corp.io:80"}, "http://a:2"),
        ("http://vault.corp.io", {"all": "http://a:2", "no": " x.io , *"}, None),
    ],
)
def test_the_proxy_chosen_is_the_one_httpx_would_choose(
    server: str, found: dict[str, str], expected: str | None
) -> None:
    chosen = proxy_for(server, found)

    assert (chosen.shown if chosen else None) == expected


def test_a_proxy_url_s_credentials_are_never_shown() -> None:
    chosen = proxy_for("https://vault.corp.io", {"https": "http://me:s3cret@proxy.corp:3128"})

    assert chosen is not None
    assert chosen.shown == "http://proxy.corp:3128"


def test_a_proxy_down_for_a_direct_client_is_not_told_as_a_proxy() -> None:
    port = _closed_port()
    api = ApiClient(f"http://127.0.0.1:{port}", proxies={})
    with pytest.raises(UnreachableError) as refused:
        api.request("GET", "/v1/whoami")
    api.close()

    assert refused.value.message == f"cannot reach http://127.0.0.1:{port} (connection refused)"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (no CA signed it) and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextlib.contextmanager
def _tls_stub(cert_file: Path, key_file: Path) -> Iterator[str]:
    """A stub server on 127.0.0.1 over TLS with ``cert_file``, answering ``["tls"]``."""
    import ssl

    from tests.hostile_server import _Server

    def answer(handler: Handler, _body: bytes) -> None:
        reply(handler, 200, [("Content-Type", "application/json")], b'["tls"]')

    server = _Server(0, answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tls_through_a_connect_tunnel_is_still_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    with _tls_stub(cert_file, key_file) as url, _proxy() as (proxy, seen):
        untrusted = ApiClient(url, proxies={"https": proxy})
        with pytest.raises(UnreachableError) as refused:
            untrusted.request("GET", "/v1/workspaces/w/projects")
        untrusted.close()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        trusted = ApiClient(url, proxies={"https": proxy})
        got = trusted.request("GET", "/v1/workspaces/w/projects")
        trusted.close()

    host = url.removeprefix("https://")
    assert seen == [f"CONNECT {host}", f"CONNECT {host}"]
    # not the proxy's; OpenSSL's words for the reason differ between its versions
    assert refused.value.message.startswith(f"cannot reach {url} (TLS certificate not trusted: ")
    assert "its TLS certificate is not trusted here" in str(refused.value.hint)
    assert got == ["tls"]
