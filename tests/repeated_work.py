"""Work the test process repeats with the same inputs, done once per process.

Three costs dominated set-up that no test is about (profiles of tests/test_token_lifecycle.py
and tests/test_no_escalation.py):

- **An account made by a fixture** (``tests.cli.accounts.Accounts.join``,
  ``tests.server.join``) derives its passphrase key with Argon2id at the floor (64 MiB, 3
  passes, 4 lanes), about 0.3 s, from a fresh random salt. ``fixture_joins`` gives those joins
  one salt per process, so an account's key is derived once per passphrase: accounts the
  fixtures make share a salt, which no test of them looks at. Joins a test is about, and every
  `envkeep` process, draw their own salt and derive as always.
- **The server's hash of a login key** (Argon2id, 19 MiB, 2 passes: 25 ms) for the app- and
  API-level tests, whose accounts mostly log in with one key (``tests.authz_support.AUTH_KEY``).
  ``remember`` keeps one hash per key, and the answer of each check of a key against a
  stored hash (a pure function). Servers started as processes hash as always.
- **A TLS context per HTTP client**: httpx loads the CA bundle for each ``httpx.Client``
  (20-35 ms), also for the plain-http test servers; ``remember`` has the default context
  built once per CA setting (SSL_CERT_FILE, SSL_CERT_DIR) and handed to every client that
  asks for the default.
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import TYPE_CHECKING

import httpx
import pytest
from httpx._transports import default as httpx_transports

from envkeep import crypto
from envkeep.app import credentials

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator

    from httpx._types import CertTypes

_FIXTURE_SALT = crypto.new_salt()
_derive = crypto.derive_passphrase_key
_hash = credentials.hash_login_key
_matches = credentials.login_key_matches
_tls = httpx.create_ssl_context  # what httpx's transports call, by their own import of it


@functools.cache
def _derived(passphrase: str, salt: bytes, params: crypto.KdfParams) -> bytes:
    return _derive(passphrase, salt, params)


@contextlib.contextmanager
def fixture_joins() -> Iterator[None]:
    """Within the block, a join draws this process's fixture salt and derives a passphrase
    key once per passphrase (for accounts a fixture makes, never a join under test)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crypto, "new_salt", lambda: _FIXTURE_SALT)
        patch.setattr(crypto, "derive_passphrase_key", _derived)
        yield


@functools.cache
def _hashed(auth_key: bytes) -> str:
    return _hash(auth_key)


@functools.cache
def _checked(stored: str | None, auth_key: bytes) -> bool:
    return _matches(stored, auth_key)


@functools.cache
def _default_tls(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's default context while SSL_CERT_FILE and SSL_CERT_DIR are these (it reads them)."""
    return _tls()


def _tls_context(
    verify: ssl.SSLContext | str | bool = True,
    cert: CertTypes | None = None,
    trust_env: bool = True,
) -> ssl.SSLContext:
    """httpx's ``create_ssl_context``, the default context made once per CA setting."""
    if verify is True and cert is None and trust_env:
        return _default_tls(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return _tls(verify, cert, trust_env)


def remember(patch: pytest.MonkeyPatch) -> None:
    """Make login-key hashes and checks, and the default TLS context, once in this process
    (until ``patch`` is undone)."""
    patch.setattr(credentials, "hash_login_key", _hashed)
    patch.setattr(credentials, "login_key_matches", _checked)
    patch.setattr(httpx_transports, "create_ssl_context", _tls_context)
