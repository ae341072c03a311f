"""A request that got no answer (a network's failure, a server that took it and said nothing)
as the UnreachableError a command says: what happened, and what to do next.

A server that took the request but sent nothing is told apart from one that cannot be
reached (that sent a CI job to check a URL that worked), and a change whose answer never came
may have been applied all the same, which a retry should know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client._httpx import httpx
from envkeep.client.header_deadline import HeadersTooSlow
from envkeep.client.network_words import (
    TlsFailure,
    not_http,
    proxy_refusal,
    proxy_status,
    tls_failure,
    what_failed,
)
from envkeep.client.problem_errors import CHECK_THE_URL
from envkeep.client.ssh_banner import ssh_banner
from envkeep.client.tls_layers import inside_tls
from envkeep.client.transport import HEADERS_SECONDS
from envkeep.core import errors

if TYPE_CHECKING:
    from envkeep.client.proxies import Proxy


def failed(
    error: httpx.TransportError,
    base_url: str,
    method: str,
    path: str,
    *,
    waited: float,
    waited_for_head: float = HEADERS_SECONDS,
    proxy: Proxy | None = None,
) -> errors.UnreachableError:
    """The error for ``error``, met sending ``method path`` to ``base_url`` (through
    ``proxy``, if any); ``waited``: the read timeout, ``waited_for_head``: the deadline on an
    answer's head, in seconds."""
    if proxy is not None and _at_the_proxy(error, base_url, proxy):
        return _proxy_failed(error, base_url, proxy)
    if isinstance(error, HeadersTooSlow):  # it answers, too slowly: out of reach all the same
        return errors.UnreachableError(
            f"{base_url} sent the head of its answer too slowly: not all of it within"
            f" {waited_for_head:.0f} s",
            hint=may_have_landed("check the network, then run the command again", method, path),
        )
    if isinstance(error, httpx.ReadTimeout):
        return _no_answer(base_url, method, path, waited)
    refused = _not_the_server(error, base_url, proxy)
    if refused is not None:
        return refused
    # It took the request, then broke off (closed, reset, or malformed): reached, not "cannot
    # reach", and a write may have landed.
    if isinstance(error, httpx.RemoteProtocolError | httpx.ReadError):
        return errors.UnreachableError(
            f"{base_url} sent no complete answer ({what_failed(error)})",
            hint=may_have_landed(
                "check whether the server runs at that URL and port, then try again", method, path
            ),
        )
    return errors.UnreachableError(
        f"cannot reach {base_url} ({what_failed(error)})",
        hint=_unreachable_hint(tls_failure(error)),
    )


def _not_the_server(
    error: httpx.TransportError, base_url: str, proxy: Proxy | None
) -> errors.UnreachableError | None:
    """The error for a refusal before any envkeep server saw the request, whatever the
    moment it came at: a client certificate asked for (TLS 1.3 asks at the first read), or
    another service on the port; None: neither."""
    if tls_failure(error) is TlsFailure.CLIENT_CERTIFICATE:
        # A read's alert is not told by `tls_layers`: through an https:// proxy, either's.
        tls_proxy = proxy is not None and proxy.url.scheme == "https"
        who = "proxy or the server" if tls_proxy and not inside_tls(error) else "server"
        return errors.UnreachableError(
            f"cannot reach {base_url} ({what_failed(error)})", hint=_client_certificate(who)
        )
    if not_http(error) and ssh_banner(error) and proxy is not None:  # HTTPS_PROXY=…:22
        return errors.UnreachableError(  # only the proxy was connected to: its port is SSH's
            f"an SSH server answers at the proxy {proxy.shown} ({proxy.named_by}), not a proxy",
            hint=f"check the port in {proxy.named_by}, or add the server's host to NO_PROXY",
        )
    if not_http(error) and ssh_banner(error):  # http://host:22
        return errors.NotAnEnvkeepRoute(
            f"an SSH server answers at {base_url}, not envkeep server",
            hint=_SSH_PORT,
        )
    if not_http(error):  # the URL's or its port's to fix
        return errors.NotAnEnvkeepRoute(
            f"something other than envkeep server answers at {base_url} ({what_failed(error)})",
            hint=CHECK_THE_URL,
        )
    return None


_SSH_PORT = (
    "check the port in the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in"
    " envkeep.toml): the one envkeep server answers on, not SSH's"
)


def _unreachable_hint(tls: TlsFailure | None) -> str:
    """What to do when the server could not be reached: a TLS failure is told apart (an
    untrusted certificate, or a server that answers plain HTTP) from the network's."""
    if tls is None:
        return "check the URL and your network, or whether the server runs"
    if tls is TlsFailure.UNTRUSTED:
        return (
            "its TLS certificate is not trusted here: check the proxy's certificate and name,"
            " or point SSL_CERT_FILE at the CA bundle that signed it"
        )
    if tls is TlsFailure.NOT_TLS:
        return _NO_TLS
    return (
        "the TLS handshake failed: it may ask for a client certificate (envkeep sends none) or"
        " share no TLS version with this client; ask its operator"
    )


def _client_certificate(who: str) -> str:
    """What to do when ``who`` (the server, the proxy) asked for a client certificate."""
    return (
        f"the {who} asked for a TLS client certificate, and envkeep sends none: ask its"
        " operator for a URL that does not require one"
    )


def _no_answer(base_url: str, method: str, path: str, waited: float) -> errors.UnreachableError:
    """A server that took the request but sent no answer within ``waited`` seconds (reached, so not
    "cannot reach"): busy or stuck. Its database may have committed a write all the same."""
    hint = "the server is busy or stuck: try again later, or ask its operator to check its log"
    return errors.UnreachableError(
        f"{base_url} did not answer within {waited:.0f} s",
        hint=may_have_landed(hint, method, path),
    )


# POSTs that change nothing a user could check (a login's proof, a passphrase's check): a
# login that met a stopped database was told to look for its change with `envkeep list`.
_NO_CHANGE = frozenset({"/v1/auth/prelogin", "/v1/auth/login", "/v1/account/passphrase/check"})


def may_have_landed(hint: str, method: str, path: str) -> str:
    """``hint``, for a change whose answer never came (or came from a database that failed
    under it): the server may have committed it all the same."""
    if method == "GET" or path in _NO_CHANGE:
        return hint
    caution = "the change may have been applied: check (envkeep list, history) before retrying"
    return f"{hint}; {caution}"


# The fix for a server that answers plain HTTP is TLS in front of it, not http:// (which would
# carry the login proof and the session token in clear): that only for a local test server.
_NO_TLS = (
    "it answers plain HTTP, not TLS (envkeep server alone serves no TLS): put a TLS-terminating"
    " proxy in front of it (docs/deploy.md); only for a local test server, use http://"
)


def _at_the_proxy(error: httpx.TransportError, base_url: str, proxy: Proxy) -> bool:
    """Whether ``error``, through ``proxy``, is the proxy's: it could not be connected to, or
    refused to carry the request on. A TLS failure is the server's or its certificate's,
    unless the server is http://: then the only TLS was the https:// proxy's own."""
    if isinstance(error, httpx.ProxyError):
        return True
    if not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return False
    if tls_failure(error) is None:  # not connected to it
        return True
    # A TLS failure: the proxy's where its TLS is the only one (an http:// server), or the
    # first of two (an https:// proxy's, then the server's inside its tunnel: `tls_layers`).
    if not base_url.startswith("https:"):
        return True
    return proxy.url.scheme == "https" and not inside_tls(error)


def _proxy_failed(
    error: httpx.TransportError, base_url: str, proxy: Proxy
) -> errors.UnreachableError:
    """A proxy down (or refusing to reach the server), named as such: not the server."""
    if isinstance(error, httpx.ProxyError):  # it answered a tunnel's CONNECT with an error
        return errors.UnreachableError(
            f"the proxy {proxy.shown} ({proxy.named_by}) did not reach {base_url}"
            f" ({proxy_refusal(error)})",
            hint=_tunnel_refused_hint(error, proxy),
        )
    hint = f"check that the proxy runs and {proxy.named_by} names it"
    tls = tls_failure(error)  # it runs: its TLS failed (an http:// server has none of its own)
    if tls is TlsFailure.CLIENT_CERTIFICATE:
        hint = _client_certificate("proxy")
    elif tls is TlsFailure.NOT_TLS:
        hint = (
            f"the proxy does not speak TLS: check {proxy.named_by}'s scheme (http:// for most"
            " proxies)"
        )
    elif tls is not None:
        hint = (
            "the proxy's TLS certificate is not trusted here (or it does not speak TLS): point"
            f" SSL_CERT_FILE at the CA bundle that signed it, or check {proxy.named_by}'s scheme"
        )
    return errors.UnreachableError(
        f"cannot reach the proxy {proxy.shown} ({proxy.named_by}) on the way to {base_url}"
        f" ({what_failed(error)})",
        hint=f"{hint}, or add the server's host to NO_PROXY to go direct",
    )


def _tunnel_refused_hint(error: httpx.ProxyError, proxy: Proxy) -> str:
    if proxy_status(error) == 407:
        return (
            f"put the proxy's user and password in {proxy.named_by}"
            " (http://user:password@host:port), or add the server's host to NO_PROXY to go direct"
        )
    return (
        "check the server URL, and that the proxy may reach it; or add its host to"
        " NO_PROXY to go direct"
    )
