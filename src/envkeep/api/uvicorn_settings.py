"""How uvicorn serves the API; `bench/_hello_app.py` serves its baseline the same way.

A module of its own (no imports of the server) so that the benchmark's hello-world shares it
without loading the server. The event loop is uvicorn's choice, uvloop where it is installed (a
dependency except on Windows, Cygwin and PyPy; docs/design.md). The HTTP parser is h11, named
rather than left to uvicorn, which would take httptools if it were installed (measured and not
taken: docs/design.md). No access log: ``observability.Observe`` writes one JSON line a
request. No ``server: uvicorn`` header: it only tells a scanner what runs here. No client
address from ``X-Forwarded-For`` by uvicorn (it believes loopback's by default, and any text
as an address): ``forwarded.ForwardedClient`` lets only the proxies the server is told to trust
(``--trusted-proxies``) name the client, whom the audit trail and the per-IP limits then
see. A deadline for the graceful shutdown: uvicorn otherwise waits for every open request
after SIGTERM, however long (one slow upload held a server 29 s); 20 s here, the server's
default, which ``--shutdown-timeout`` changes (``serve.run_app``).
"""

from __future__ import annotations

from typing import Final, Literal, TypedDict

from envkeep.server_values import SHUTDOWN_TIMEOUT


class UvicornSettings(TypedDict):
    """The keyword arguments of ``uvicorn.run`` that envkeep sets."""

    loop: Literal["auto"]
    http: Literal["h11"]
    log_level: str
    access_log: bool
    server_header: bool
    proxy_headers: bool
    timeout_keep_alive: int
    timeout_graceful_shutdown: int


# How long an idle keep-alive connection stays open (uvicorn's default, named here because the
# CLI's pool must let go of one sooner: client/http.KEEPALIVE_SECONDS).
KEEP_ALIVE_SECONDS: Final = 5

# How long requests still running at SIGTERM may take before they are cancelled, by default
# (`envkeep.server_settings`).
GRACEFUL_SHUTDOWN_SECONDS: Final = SHUTDOWN_TIMEOUT


UVICORN_SETTINGS: Final[UvicornSettings] = {
    "loop": "auto",
    "http": "h11",
    "log_level": "warning",
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
}
