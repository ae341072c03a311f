"""The server baseline: a bare Starlette app with one JSON route, under uvicorn.

Run as `python bench/_hello_app.py PORT [DATABASE]`. It binds 127.0.0.1 only and is served as
`envkeep server` serves its app (`envkeep.api.serve.run_app`): one process, `uvicorn.run` with
the same settings (`envkeep.api.uvicorn_settings`), so the two differ only in the application.

With a DATABASE file it also takes ``POST /rows``: the body of an envkeep write (a batch of one
variable, base64url fields), its row inserted and committed in SQLite (WAL, synchronous=FULL,
the baseline's table) before the answer. That is the least any Python server on this stack can
do for a durable write: the floor of ``server-writes-floor``.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from _rows import connect
from envkeep.api.uvicorn_settings import UVICORN_SETTINGS

if TYPE_CHECKING:
    import sqlite3

    from starlette.requests import Request


async def hello(_request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


def _decoded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rows_route(database: sqlite3.Connection) -> Route:
    """``POST /rows``: one variable of an envkeep write body, inserted and committed."""

    async def insert(request: Request) -> JSONResponse:
        (write,) = json.loads(await request.body())["writes"]
        database.execute(
            "INSERT INTO secret_version VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                write["secret_id"],
                "dev",
                write["scope"],
                _decoded(write["name_index"]),
                _decoded(write["name_ct"]),
                _decoded(write["value_ct"]),
                _decoded(write["signature"]),
                time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )
        database.commit()
        return JSONResponse({"secret_id": write["secret_id"], "version": 1})

    return Route("/rows", insert, methods=["POST"])


def main(argv: list[str]) -> int:
    if len(argv) not in {1, 2} or not argv[0].isdigit():
        sys.exit("usage: python bench/_hello_app.py PORT [DATABASE]")
    routes = [Route("/", hello)]
    if len(argv) == 2:
        routes.append(rows_route(connect(argv[1])))
    app = Starlette(routes=routes)
    uvicorn.run(app, host="127.0.0.1", port=int(argv[0]), **UVICORN_SETTINGS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
