"""A server that failed on a request (a 500), told with the request id its operator finds the
error by: the server's log line for the request carries that id and the traceback."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from envkeep.core import errors

if TYPE_CHECKING:
    from envkeep.client._httpx import httpx

# The shape of a request id worth printing: the server's own are 32 hex digits, a proxy's
# similar. Anything else (the server's text, on the user's terminal) is not shown.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ASK = "retry; if it persists, give the server's operator the request id"


def request_id(response: httpx.Response, body: dict[str, Any]) -> str | None:
    """The id of the request ``response`` answered: the problem's ``request_id``, else the
    ``X-Request-ID`` header (every envkeep answer has it); None when neither is a plain id."""
    for found in (body.get("request_id"), response.headers.get("x-request-id")):
        if isinstance(found, str) and _REQUEST_ID.fullmatch(found):
            return found
    return None


def named(message: str, response: httpx.Response, body: dict[str, Any]) -> str:
    """``message``, naming the request id if it does not already."""
    found = request_id(response, body)
    return message if found is None or found in message else f"{message} (request id {found})"


def server_failed(response: httpx.Response, body: dict[str, Any]) -> errors.ServerFailed:
    """The error for an envkeep server's ``internal`` problem: its title and hint, the request
    id named whatever the title says."""
    title = str(body.get("title") or "the server failed with an error of its own")
    hint = body.get("hint")
    return errors.ServerFailed(
        named(title, response, body), hint=hint if isinstance(hint, str) and hint else _ASK
    )
