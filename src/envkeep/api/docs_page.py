"""The API's browsable documentation, ``/docs``: Swagger UI over ``/openapi.json``, under a
Content-Security-Policy of its own.

Every other answer carries ``default-src 'none'`` (``observability.SECURITY_HEADERS``), which
would leave this page blank: Swagger UI's script and stylesheet come from a CDN, an inline
script starts it, and it styles elements inline and draws its icons from ``data:`` images. The
page's policy allows exactly that: the CDN's two files by their URLs and the one inline
script (by its hash, so no other inline script runs), styles from that file and inline, images
from ``data:``, requests ("Try it out") to this server only, and no framing. The page holds no
secret: the API authenticates with a bearer token the reader pastes in, never a cookie.
FastAPI's ReDoc page and OAuth2 redirect page are not served (the API has no OAuth2 flow).
``/openapi.json`` is served here too, as a route of the app's own (FastAPI's would be a bare
Starlette route, which the metrics and log line could only call ``unmatched``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

if TYPE_CHECKING:
    from fastapi import FastAPI

PATH = "/docs"
OPENAPI = "/openapi.json"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_SCRIPTS = re.compile(r'<script src="(https://[^"]+)"')
_STYLESHEETS = re.compile(r'<link type="text/css" rel="stylesheet" href="(https://[^"]+)"')
_FAVICON = "data:,"  # no request for one (FastAPI's default names its own site)
# Swagger UI's files at one release, each with its Subresource Integrity hash (sha384 of the
# file in the npm package, which the CDN serves as is): the browser runs no other bytes.
_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0"
_FILES = {
    f"{_CDN}/swagger-ui-bundle.js": (
        "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
    ),
    f"{_CDN}/swagger-ui.css": (
        "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
    ),
}


def page_policy(html: str) -> str:
    """The Content-Security-Policy that lets ``html`` (Swagger UI's page) run and nothing
    more: the very files it loads (by URL, not every file of their host: a CDN serves any
    package), and each of its inline scripts by hash."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    scripts = sorted(set(_SCRIPTS.findall(html)))
    sheets = sorted(set(_STYLESHEETS.findall(html)))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join([*scripts, *hashes])}",
            f"style-src {' '.join(sheets)} 'unsafe-inline'",
            "img-src data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/openapi.json`` (the app is made with ``docs_url``,
    ``redoc_url`` and ``openapi_url`` None)."""

    @app.get(OPENAPI, include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    html = bytes(
        get_swagger_ui_html(
            openapi_url=OPENAPI,
            title=f"{app.title} - API",
            swagger_js_url=f"{_CDN}/swagger-ui-bundle.js",
            swagger_css_url=f"{_CDN}/swagger-ui.css",
            swagger_favicon_url=_FAVICON,
            oauth2_redirect_url=None,
        ).body
    ).decode()
    for url, digest in _FILES.items():
        html = html.replace(f'"{url}"', f'"{url}" integrity="{digest}" crossorigin="anonymous"')
    headers = {"Content-Security-Policy": page_policy(html)}

    @app.get(PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
