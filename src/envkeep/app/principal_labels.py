"""How principals are named: a token's stored name (``sa:WORKSPACE:LABEL``), what `member
grant` takes for one, and how audit and history show one. Pure string rules, shared by the
server and the client (which needs them without a database)."""

from __future__ import annotations


def account_name(workspace_id: str, label: str) -> str:
    """The principal name of a workspace's token ``label`` (unique across workspaces)."""
    return f"sa:{workspace_id}:{label}"


def replaced_name(workspace_id: str, label: str, account_id: str) -> str:
    """The principal name a rotated token's old account takes, freeing ``account_name``."""
    return f"sa-replaced:{workspace_id}:{label}:{account_id}"


def token_label(name: str) -> str | None:
    """The token name in a service account's principal name (``account_name`` or
    ``replaced_name``); None for any other name."""
    prefix, _, rest = name.partition(":")
    if prefix not in {"sa", "sa-replaced"} or ":" not in rest:
        return None
    return rest.split(":")[1]


def principal_name(workspace_id: str, name: str) -> str:
    """The principal a member's email or a token's name stands for, by its stored name. The
    two never meet: an email holds '@', a token's name cannot (so no token passes for a
    person), and a token is only ever this workspace's (its full name, as `member list` shows
    it, is taken too)."""
    if "@" in name:
        return name.lower()
    if name.startswith(account_name(workspace_id, "")):
        return name
    return account_name(workspace_id, name)


def shown_name(name: str, kind: str) -> str:
    """A principal as `audit` shows it: a user by its email, a token as ``token NAME``."""
    label = token_label(name) if kind == "service" else None
    if label is None:
        return name
    return f"token {label}" + (" (replaced)" if name.startswith("sa-replaced:") else "")
