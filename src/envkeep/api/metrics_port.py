"""`/metrics` on an address of its own (`--metrics-host`, `--metrics-port`), so that an
operator can keep it off the API's public port: prometheus_client's own small HTTP server,
in a thread of its own, over the server's registry; the API's port then answers `/metrics`
404, as any path it does not serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.api.listening import check_port

if TYPE_CHECKING:
    from collections.abc import Callable

    from prometheus_client import CollectorRegistry


def serve_metrics(registry: CollectorRegistry, host: str, port: int) -> Callable[[], None]:
    """Serve ``registry`` as Prometheus text on ``host:port`` (any path) until the function
    returned is called; an EnvkeepError naming the address if it cannot listen there."""
    from prometheus_client import start_http_server

    check_port(host, port, flag="--metrics-port")
    server, thread = start_http_server(port, addr=host, registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
