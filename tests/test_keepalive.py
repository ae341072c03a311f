"""The CLI's connection pool lets go of an idle connection well before the server closes it:
with both at 5 s, a command that paused about that long sent its next request down a
connection the server was closing, and failed with "cannot reach … (ReadError)"."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from envkeep.api.uvicorn_settings import KEEP_ALIVE_SECONDS, UVICORN_SETTINGS
from envkeep.client.api_client import ApiClient
from envkeep.client.http import KEEPALIVE_SECONDS


class _KeepAlive(BaseHTTPRequestHandler):
    """Answers `{}` on HTTP/1.1, keeping the connection open; counts connections."""

    protocol_version = "HTTP/1.1"
    connections = 0

    def setup(self) -> None:
        type(self).connections += 1
        super().setup()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        return


def test_the_server_keeps_idle_connections_longer_than_the_client_does() -> None:
    assert UVICORN_SETTINGS["timeout_keep_alive"] == KEEP_ALIVE_SECONDS
    assert KEEPALIVE_SECONDS < KEEP_ALIVE_SECONDS / 2  # margin for a slow loop or network


def test_a_connection_idle_past_the_clients_expiry_is_not_reused() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = ApiClient(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        client.request("GET", "/a")
        client.request("GET", "/b")  # at once: the same connection
        assert _KeepAlive.connections == 1
        time.sleep(KEEP_ALIVE_SECONDS / 2)  # half the server's: long past the client's expiry
        client.request("GET", "/c")  # a new connection
        assert _KeepAlive.connections == 2
    finally:
        client.close()
        server.shutdown()
        server.server_close()
