"""A URL where something other than envkeep server answers (a static web server's 404 page, a
JSON API without envkeep's problem+json, a service that speaks no HTTP) says so and to check the
URL and its port, naming what answered when that is safe (its status, a common content type;
never its body): it said "check whether the server runs", or "the server answered 401"."""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.core.errors import EnvkeepError, NotAnEnvkeepRoute
from tests.hostile_server import Handler, reply, serving
from tests.server import cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PLANTED = "ek_sess_pl4nted-t0ken"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        return


@contextlib.contextmanager
def _static_site(root: Path) -> Iterator[str]:
    """`python -m http.server` over ``root``: every /v1/… path is its HTML 404 page."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _not_http(sent: bytes) -> Iterator[str]:
    """A raw TCP service that reads a request, sends ``sent`` and closes, on each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                connection, _address = listener.accept()
                with connection:
                    connection.recv(65536)
                    connection.sendall(sent)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def _error(url: str, method: str = "GET") -> EnvkeepError:
    api = ApiClient(url, proxies={})
    try:
        with pytest.raises(EnvkeepError) as raised:
            api.request(method, "/v1/whoami", json={} if method == "POST" else None)
    finally:
        api.close()
    return raised.value


def test_a_static_web_servers_404_page_is_named_as_something_else_with_its_type(
    tmp_path: Path,
) -> None:
    with _static_site(tmp_path) as url:
        error = _error(url)

    assert type(error) is NotAnEnvkeepRoute
    assert (
        error.message
        == f"{url} answered 404 for /v1/whoami (text/html), not as an envkeep server does"
    )
    assert str(error.hint).startswith("something other than envkeep server answers there: check")
    assert "the address and port envkeep server answers on" in str(error.hint)
    assert "whether the server runs" not in str(error.hint)


@pytest.mark.parametrize("status", [400, 401, 403, 409])
def test_a_json_api_without_envkeeps_problem_shape_is_something_else(status: int) -> None:
    def api(handler: Handler, _body: bytes) -> None:
        body = b'{"message": "' + PLANTED.encode() + b'"}'
        reply(handler, status, [("Content-Type", "application/json")], body)

    with serving(api) as (url, _seen):
        error = _error(url)

    assert type(error) is NotAnEnvkeepRoute  # not AccessError's "the server answered 401"
    assert error.message == (
        f"{url} answered {status} for /v1/whoami (application/json), not as an envkeep server does"
    )
    assert PLANTED not in error.message  # never the body
    assert "something other than envkeep server answers there" in str(error.hint)


def test_a_content_type_that_is_not_a_common_one_is_not_repeated() -> None:
    def echoing(handler: Handler, _body: bytes) -> None:
        reply(handler, 404, [("Content-Type", f"application/x-{PLANTED}")], b"{}")

    with serving(echoing) as (url, _seen):
        error = _error(url)

    assert error.message == f"{url} answered 404 for /v1/whoami, not as an envkeep server does"


def test_an_older_envkeep_servers_bare_422_is_still_its_own() -> None:
    def fastapi(handler: Handler, _body: bytes) -> None:
        body = b'{"detail": [{"loc": ["body", "left_out"], "msg": "Extra inputs"}]}'
        reply(handler, 422, [("Content-Type", "application/json")], body)

    with serving(fastapi) as (url, _seen):
        error = _error(url, "POST")

    assert type(error) is EnvkeepError  # rotation_request tells this one apart
    assert error.message == "the server answered 422"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_service_that_speaks_no_http_is_something_else_not_a_server_down(method: str) -> None:
    with _not_http(b"\x00\x01\xffgarbage " + PLANTED.encode() + b"\r\n\r\n") as url:
        error = _error(url, method)

    assert type(error) is NotAnEnvkeepRoute
    assert (
        error.message
        == f"something other than envkeep server answers at {url} (not an HTTP answer)"
    )
    assert "the address and port envkeep server answers on" in str(error.hint)
    assert "may have been applied" not in str(error.hint)  # no envkeep took the change
    assert PLANTED not in error.message


def test_the_cli_pointed_at_a_static_web_server_says_something_else_answers(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    with _static_site(site) as url:
        done = cli(
            tmp_path / "home",
            tmp_path,
            "login",
            url,
            "--email",
            "a@b.io",
            ENVKEEP_PASSPHRASE="a passphrase",
            NO_PROXY="*",
        )

    assert done.returncode == 5, done.stderr
    assert f"{url} answered 501 for /v1/auth/prelogin (text/html)" in done.stderr  # a POST
    assert "something other than envkeep server answers there" in done.stderr
