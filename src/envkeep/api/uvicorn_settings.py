"""How uvicorn serves the API; `bench/_hello_app.py` serves its baseline the same way.

A module of its own (no imports) so that the benchmark's hello-world shares it without loading
the server. uvicorn's event loop is uvloop where it is installed (a dependency except on
Windows; docs/design.md). No access log: ``observability.Observe`` writes one JSON line a
request. No ``server: uvicorn`` header: it only tells a scanner what runs here.
"""

from __future__ import annotations

from typing import Any

UVICORN_SETTINGS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "server_header": False,
}
