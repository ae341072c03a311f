"""What a network failure was, in the words a message says ("connection refused", "name not
found", "timed out connecting", "TLS certificate not trusted: self-signed certificate"), read
from the error under httpx's: its class name (``ConnectError``) told a user nothing to act on.
"""

from __future__ import annotations

import errno
import socket
import ssl

from envkeep.client._httpx import httpx

# Timeouts first, by httpx's class: the socket's own error under them is the same for all.
_TIMEOUTS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "timed out connecting"),
    (httpx.WriteTimeout, "timed out sending"),
    (httpx.PoolTimeout, "timed out waiting for a free connection"),
)
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed while sending",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ETIMEDOUT: "timed out connecting",
}
_NAME_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
# When no error under it says more: what httpx's class stands for.
_HTTPX_WORDS: tuple[tuple[type[httpx.TransportError], str], ...] = (
    (httpx.ReadError, "the connection failed while reading"),
    (httpx.WriteError, "the connection failed while sending"),
    (httpx.UnsupportedProtocol, "not an http:// or https:// URL"),
)


def what_failed(error: BaseException) -> str:
    """``error`` (an httpx transport error, say) in a few lowercase words."""
    for kind, words in _TIMEOUTS:
        if isinstance(error, kind):
            return words
    for cause in _chain(error):
        said = _os_words(cause)
        if said is not None:
            return said
    for failure, words in _HTTPX_WORDS:
        if isinstance(error, failure):
            return words
    if isinstance(error, httpx.RemoteProtocolError):
        return _protocol_words(str(error))
    return str(error).strip()[:80] or "the connection failed"


# A server that took the request, then broke the exchange off: h11's words, under httpx's class.
_PROTOCOL_WORDS = (
    ("without sending a response", "connection closed before any answer"),
    ("without sending complete message body", "connection closed partway through the answer"),
    ("illegal status line", "not an HTTP answer"),  # something else listens on that port
)


def _protocol_words(said: str) -> str:
    """What a RemoteProtocolError saying ``said`` was: a connection closed, an answer that is
    not HTTP, or else a malformed one and h11's reason (without the bytes it quotes)."""
    for phrase, words in _PROTOCOL_WORDS:
        if phrase in said:
            return words
    reason = said.split(":", 1)[0].strip()[:60]
    return f"malformed answer: {reason}" if reason else "malformed answer"


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from, outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _os_words(error: BaseException) -> str | None:
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message
        return f"TLS certificate not trusted: {reason}" if reason else "TLS certificate not trusted"
    if isinstance(error, ssl.SSLError):
        reason = (error.reason or "").lower().replace("_", " ")
        return f"TLS failed: {reason}" if reason else "TLS failed"
    if isinstance(error, socket.gaierror):
        return "name not found" if error.errno in _NAME_NOT_FOUND else "name lookup failed"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.errno is not None:
        return _ERRNO_WORDS.get(error.errno) or (error.strerror or "").lower() or None
    return None
