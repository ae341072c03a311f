"""The server baseline: a bare Starlette app with one JSON route, under uvicorn.

Run as `python bench/_hello_app.py PORT`. It binds 127.0.0.1 only and is served as `envkeep
server` serves its app (`envkeep.api.serve.run_app`): one process, `uvicorn.run` with the same
settings (`envkeep.api.uvicorn_settings`), so the two differ only in the application.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from envkeep.api.uvicorn_settings import UVICORN_SETTINGS

if TYPE_CHECKING:
    from starlette.requests import Request


async def hello(_request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = Starlette(routes=[Route("/", hello)])


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        sys.exit("usage: python bench/_hello_app.py PORT")
    uvicorn.run(app, host="127.0.0.1", port=int(argv[0]), **UVICORN_SETTINGS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
