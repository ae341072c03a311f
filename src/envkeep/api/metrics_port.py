"""`/metrics` on an address of its own (`--metrics-host`, `--metrics-port`), so that an
operator can keep it off the API's public port: a small WSGI server of prometheus_client's,
in a thread of its own, over the server's registry; the API's port then answers `/metrics`
404, as any path it does not serve.

It serves the socket `envkeep server` bound when it checked the port (`listening`), before
saying where it serves: checked, closed and bound again by prometheus_client's
`start_http_server`, the port could be taken in between (another program, a second server
started at once), and the server then ended with "unexpected OSError; this is a bug"."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    from prometheus_client import CollectorRegistry


class _Quiet(WSGIRequestHandler):
    """No line on stderr per scrape: the log is the API's, in its own format."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


def serve_metrics(registry: CollectorRegistry, listening: socket.socket) -> Callable[[], None]:
    """Serve ``registry`` as Prometheus text (any path) on ``listening``, a bound socket,
    until the function returned is called (which closes it)."""
    from prometheus_client import make_wsgi_app
    from prometheus_client.exposition import ThreadingWSGIServer

    host, port = listening.getsockname()[:2]
    server = ThreadingWSGIServer((host, port), _Quiet, bind_and_activate=False)
    server.socket.close()  # the unbound one it made: it serves ``listening`` instead
    server.socket = listening
    server.server_name, server.server_port = host, port
    server.setup_environ()
    server.set_app(make_wsgi_app(registry))
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
