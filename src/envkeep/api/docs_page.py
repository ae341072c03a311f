"""The API's browsable documentation, ``/docs``: Swagger UI over ``/openapi.json``, under a
Content-Security-Policy of its own.

Every other answer carries ``default-src 'none'`` (``observability.SECURITY_HEADERS``), which
would leave this page blank: Swagger UI's script and stylesheet come from a CDN, an inline
script starts it, and it styles elements inline and draws its icons from ``data:`` images. The
page's policy allows exactly that: scripts from the CDN and the one inline script (by its
hash, so no other inline script runs), styles from the CDN and inline, images from the CDN and
``data:``, requests ("Try it out") to this server only, and no framing. The page holds no
secret: the API authenticates with a bearer token the reader pastes in, never a cookie.
FastAPI's ReDoc page and OAuth2 redirect page are not served (the API has no OAuth2 flow).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from fastapi import FastAPI

PATH = "/docs"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_SOURCES = re.compile(r'<(?:script src|link [^>]*href)="(https://[^"]+)"')
_FAVICON = "data:,"  # no request for one (FastAPI's default names its own site)


def page_policy(html: str) -> str:
    """The Content-Security-Policy that lets ``html`` (Swagger UI's page) run and nothing
    more: the origins it loads from, and each of its inline scripts by hash."""
    origins = sorted({_origin(url) for url in _SOURCES.findall(html)})
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    loads = " ".join(origins)
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join([*origins, *hashes])}",
            f"style-src {loads} 'unsafe-inline'",
            f"img-src {loads} data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` (the app is made with ``docs_url=None`` and ``redoc_url=None``)."""
    html = bytes(
        get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_favicon_url=_FAVICON,
            oauth2_redirect_url=None,
        ).body
    ).decode()
    headers = {"Content-Security-Policy": page_policy(html)}

    @app.get(PATH, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)
