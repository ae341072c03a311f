"""How principals are named: a token's stored name (``sa:WORKSPACE:LABEL``), what `member
grant` takes for one, and how audit and history show one. Pure string rules, shared by the
server and the client (which needs them without a database)."""

from __future__ import annotations

from typing import Literal


def account_name(workspace_id: str, label: str) -> str:
    """The principal name of a workspace's token ``label`` (unique across workspaces)."""
    return f"sa:{workspace_id}:{label}"


# Why a token's account gave its name up to a newer account, by the prefix its stored name
# takes then, and how `audit` and `history` say it after ``token NAME``.
_RETIRED = {
    "sa-rotated": "rotated out",  # `token rotate` handed the name to the account's successor
    "sa-revoked": "revoked",  # revoked, and a token created since took the name
    "sa-replaced": "rotated out or revoked",  # retired before the two were told apart
}
Retired = Literal["rotated", "revoked"]


def retired_name(workspace_id: str, label: str, account_id: str, why: Retired) -> str:
    """The principal name a token's account takes when a newer one takes ``account_name``:
    rotated out by `token rotate`, or revoked before a new token was given its name."""
    return f"sa-{why}:{workspace_id}:{label}:{account_id}"


def retired_prefixes(workspace_id: str, label: str) -> tuple[str, ...]:
    """How the names of every account that held token ``label`` before its holder begin."""
    return tuple(f"{prefix}:{workspace_id}:{label}:" for prefix in _RETIRED)


def account_prefixes(workspace_id: str) -> tuple[str, ...]:
    """How the names of every token account of a workspace begin: those that hold their
    names (``account_name``), and those that gave them up to a newer one (``retired_name``)."""
    return tuple(f"{prefix}:{workspace_id}:" for prefix in ("sa", *_RETIRED))


def retired_why(name: str) -> str | None:
    """Why a token's account no longer holds its name, as `audit` and `token list` say it
    (``rotated out``, ``revoked``); None for an account that holds it, and any other name."""
    return _RETIRED.get(name.partition(":")[0])


def _token_parts(name: str) -> list[str] | None:
    """A service account's principal name (``account_name`` or ``retired_name``) past its
    prefix: workspace id, token name (and a retired one's account id); None for any other."""
    prefix, _, rest = name.partition(":")
    if (prefix != "sa" and prefix not in _RETIRED) or ":" not in rest:
        return None
    return rest.split(":")


def token_label(name: str) -> str | None:
    """The token name in a service account's principal name (``account_name`` or
    ``retired_name``); None for any other name."""
    parts = _token_parts(name)
    return None if parts is None else parts[1]


def token_workspace(name: str) -> str | None:
    """The workspace id in a service account's principal name (``account_name`` or
    ``retired_name``): a token belongs to one workspace only; None for any other name."""
    parts = _token_parts(name)
    return None if parts is None else parts[0]


def principal_name(workspace_id: str, name: str) -> str:
    """The principal a member's email or a token's name stands for, by its stored name. The
    two never meet: an email holds '@', a token's name cannot (so no token passes for a
    person), and a token is only ever this workspace's (its full name, as `member list` shows
    it, is taken too). ``token NAME``, as `member list` and `audit` show a token, is the token
    NAME (a token's name holds no space)."""
    name = name.removeprefix("token ")
    if "@" in name:
        return name.lower()
    if name.startswith(account_name(workspace_id, "")):
        return name
    return account_name(workspace_id, name)


def shown_name(name: str, kind: str) -> str:
    """A principal as `audit` shows it: a user by its email, a token as ``token NAME``, and
    one whose name a newer token holds now says why (``token ci (revoked)``)."""
    label = token_label(name) if kind == "service" else None
    if label is None:
        return name
    why = retired_why(name)
    return f"token {label}" if why is None else f"token {label} ({why})"
