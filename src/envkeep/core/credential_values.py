"""Values that carry a credential whatever their name says: a few shapes, each cheap to find
and rare in anything else.

- a password in a URL's userinfo: ``postgres://app:pw@db/shop``, ``redis://:pw@cache:6379``
  (an empty password, ``user@host`` or an ``@`` after the host's ``/`` is not one);
- a password parameter: ``?password=``, ``&password=``, or a connection string's
  ``;Password=`` / ``Pwd=`` (JDBC, ODBC, ADO.NET);
- a GitHub token (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` and 36 letters or digits;
  ``github_pat_…``), a Slack token (``xoxb-``, ``xoxp-``, ``xoxa-``), a Stripe secret or
  restricted key (``sk_live_``, ``sk_test_``, ``rk_…``; not the publishable ``pk_…``),
  an AWS access key id (``AKIA`` and 16 capitals or digits: half of a key pair, which names
  the account it opens), each where it stands as a word of its own;
- a PEM private key: ``-----BEGIN … PRIVATE KEY`` (not a certificate or a public key).

No guess from how random a value looks: a digest, a UUID or base64 data is no credential, and
flagging them would keep ordinary values out of a ConfigMap. Names are judged elsewhere
(`schemarender.looks_secret`). Every pattern starts at a literal, so a long value is read in
linear time.
"""

from __future__ import annotations

import re

__all__ = ["CREDENTIAL_KINDS", "credential_kind"]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # `://`, then userinfo up to the first `@`: no `/`, `?` or `#` (those end the authority).
    ("a password in a URL", re.compile(r"://[^\s/?#@:]*:[^\s/?#@]+@")),
    (
        "a password parameter",
        re.compile(r"(?:^|[?&;])\s*(?:password|pwd)\s*=\s*[^\s&;#]", re.IGNORECASE),
    ),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{22,})")),
    ("a Slack token", re.compile(r"\bxox[abp]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("an AWS access key id", re.compile(r"\bAKIA[A-Z0-9]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY")),
)

CREDENTIAL_KINDS: tuple[str, ...] = tuple(kind for kind, _ in _PATTERNS)


def credential_kind(value: str) -> str | None:
    """The kind of credential ``value`` carries somewhere in it (one of ``CREDENTIAL_KINDS``,
    e.g. ``"a password in a URL"``), or None. The kind names no part of the value."""
    for kind, pattern in _PATTERNS:
        if pattern.search(value):
            return kind
    return None
