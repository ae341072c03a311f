"""What a network failure was, in the words a message says ("connection refused", "name not
found", "timed out connecting", "TLS certificate not trusted: self-signed certificate"), read
from the error under httpx's: its class name (``ConnectError``) told a user nothing to act on.
"""

from __future__ import annotations

import errno
import socket
import ssl
from enum import Enum

from envkeep.client._httpx import httpx
from envkeep.client.ssh_banner import ssh_banner

# Timeouts first, by httpx's class: the socket's own error under them is the same for all.
_TIMEOUTS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "timed out connecting"),
    (httpx.WriteTimeout, "timed out sending"),
    (httpx.PoolTimeout, "timed out waiting for a free connection"),
    (httpx.ReadTimeout, "timed out waiting for the answer"),
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
# When no error under it says more: what httpx's class stands for, never the error's own text
# (h11's "Illegal header value b'Bearer …'" holds the session token; a URL may hold a password).
_HTTPX_WORDS: tuple[tuple[type[httpx.TransportError], str], ...] = (
    (httpx.ConnectError, "could not connect"),
    (httpx.ReadError, "the connection failed while reading"),
    (httpx.WriteError, "the connection failed while sending"),
    (httpx.CloseError, "the connection failed while closing"),
    (httpx.ProxyError, "the proxy did not carry the request"),
    (httpx.UnsupportedProtocol, "not an http:// or https:// URL"),
    (httpx.LocalProtocolError, "the request could not be sent as valid HTTP"),
    (httpx.RemoteProtocolError, "the answer was not valid HTTP"),
    (httpx.TimeoutException, "timed out"),
)


def what_failed(error: BaseException) -> str:
    """``error`` (an httpx transport error, say) in a few lowercase words."""
    for kind, words in _TIMEOUTS:
        if isinstance(error, kind):
            return words
    for cause in error_chain(error):
        said = _os_words(cause)
        if said is not None:
            return said
    if isinstance(error, httpx.RemoteProtocolError):  # h11's fault names, never the bytes
        return "an SSH server's banner" if ssh_banner(error) else _protocol_words(str(error))
    for failure, words in _HTTPX_WORDS:
        if isinstance(error, failure):
            return words
    return "the connection failed"


# h11's words for an answer with no status line: no HTTP at all.
_NOT_HTTP = "illegal status line"
# A server that took the request, then broke the exchange off: h11's words, under httpx's class.
_PROTOCOL_WORDS = (
    ("without sending a response", "connection closed before any answer"),
    ("without sending complete message body", "connection closed partway through the answer"),
    (_NOT_HTTP, "not an HTTP answer"),  # something else listens on that port (`not_http`)
)


def _protocol_words(said: str) -> str:
    """What a RemoteProtocolError saying ``said`` was: a connection closed, an answer that is
    not HTTP, or else a malformed one and h11's reason (without the bytes it quotes)."""
    for phrase, words in _PROTOCOL_WORDS:
        if phrase in said:
            return words
    # h11 names the fault before a colon and quotes the bytes after it: the name alone, and
    # only one of h11's own (another message may quote bytes, a secret among them).
    reason = said.partition(":")[0].strip()
    if reason in _H11_FAULTS:
        return f"malformed answer: {reason}"
    return "the answer was not valid HTTP"


def not_http(error: BaseException) -> bool:
    """Whether ``error`` is an answer that is no HTTP at all (h11 met no status line, or an
    SSH server's banner came first: `ssh_banner`): another service listens on the port (SSH,
    a database), not a server that broke an answer off."""
    return isinstance(error, httpx.RemoteProtocolError) and _NOT_HTTP in str(error)


# The faults h11 names when it reads an answer it cannot parse (h11/_readers.py).
_H11_FAULTS = frozenset({"illegal header line", "illegal chunk header", "illegal status line"})


def error_chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from, outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


class TlsFailure(Enum):
    """How a TLS handshake failed, as the client can act on it."""

    UNTRUSTED = "untrusted"  # the peer's certificate: not trusted here
    CLIENT_CERTIFICATE = "client certificate"  # the peer asked for ours (envkeep sends none)
    NOT_TLS = "not TLS"  # the peer answered in something else: plain HTTP, most often
    HANDSHAKE = "handshake"  # any other: no common version or cipher, a TLS 1.2 client
    # certificate asked for (its alert is a plain "handshake failure")


def tls_failure(error: BaseException) -> TlsFailure | None:
    """How TLS failed under ``error``, read from the ``ssl`` errors in its chain (never its
    text); None: it was no TLS failure."""
    for cause in error_chain(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TlsFailure.UNTRUSTED
        if isinstance(cause, ssl.SSLError):
            return _ssl_failure(cause)
    return None


# OpenSSL's reasons for bytes that are no TLS record (3.0 says the first, 3.2 the second).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"})


def _ssl_failure(error: ssl.SSLError) -> TlsFailure:
    if _about_ours(error):
        return TlsFailure.CLIENT_CERTIFICATE
    return TlsFailure.NOT_TLS if error.reason in _NOT_TLS else TlsFailure.HANDSHAKE


def _about_ours(error: ssl.SSLError) -> bool:
    """Whether the peer's alert is about the client's certificate: a server's alert is always
    about its peer's, ours ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_BAD_CERTIFICATE",
    "TLSV1_ALERT_UNKNOWN_CA"), not about the trust of its own (SSLCertVerificationError)."""
    reason = error.reason or ""
    return "_ALERT_" in reason and ("CERTIFICATE" in reason or "UNKNOWN_CA" in reason)


def _os_words(error: BaseException) -> str | None:
    if isinstance(error, ssl.SSLError):
        return _tls_words(error)
    if isinstance(error, socket.gaierror):
        return "name not found" if error.errno in _NAME_NOT_FOUND else "name lookup failed"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.errno is not None:
        return _ERRNO_WORDS.get(error.errno) or (error.strerror or "").lower() or None
    return None


def _tls_words(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = getattr(error, "verify_message", None)  # set only by OpenSSL's own raising
        return f"TLS certificate not trusted: {reason}" if reason else "TLS certificate not trusted"
    if _about_ours(error):
        return "TLS refused: a client certificate was asked for"
    reason = (error.reason or "").lower().replace("_", " ")
    return f"TLS failed: {reason}" if reason else "TLS failed"


# A proxy's refusal of a tunnel: httpcore's ProxyError says "<status> <reason phrase>", and the
# phrase is the proxy's to write (a hostile one's may hold anything): its status alone is said.
_PROXY_STATUSES = {
    403: "refused",
    405: "refused",
    407: "proxy credentials needed",
    502: "the server is out of its reach",
    503: "the server is out of its reach",
    504: "the server is out of its reach",
}


def proxy_status(error: BaseException) -> int | None:
    """The status a proxy refused a tunnel with (``error``: httpx's ProxyError); None: none."""
    said = str(error)
    status, rest = said[:3], said[3:4]
    if status.isascii() and status.isdigit() and rest in {"", " "}:
        return int(status)
    return None


def proxy_refusal(error: BaseException) -> str:
    """A proxy's refusal of a tunnel in a few words, by its status, never its reason phrase."""
    status = proxy_status(error)
    if status is None:
        return "the proxy did not carry the request"
    meaning = _PROXY_STATUSES.get(status)
    return f"it answered {status}: {meaning}" if meaning else f"it answered {status}"
