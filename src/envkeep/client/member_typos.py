"""A member or token name that is not found, where `member list` holds one very like it: a
typo (``bob@exmaple.com``) was answered "no account or token" with the hint to invite it, which
would send an invite to an address nobody reads. The close name comes from the caller's own
`member list`, so it names no one the caller may not see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.principal_names import member_name
from envkeep.core.did_you_mean import did_you_mean_aside
from envkeep.core.errors import EnvkeepError, NotFoundError
from envkeep.core.near_names import typo_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any


def known_names(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """What `member grant` takes for each row of `member list`: emails and token names (an
    invite's email too)."""
    return {
        member_name(row["principal"]) if "principal" in row else str(row["email"]) for row in rows
    }


def with_close_name(
    missing: NotFoundError,
    name: str,
    rows: Callable[[], Iterable[Mapping[str, Any]]],
    *,
    granting: bool,
) -> NotFoundError:
    """``missing`` with "did you mean" when ``name`` is a slip of a member or token of
    ``rows()``; ``missing`` itself when none is, when ``name`` is listed (an invite not yet
    accepted), or when the list cannot be read. ``granting``: the name is one a role is
    being given to, so the hint also says how to make it if it was meant (an invite or a
    token); a revocation, removal or session list has nothing to make."""
    try:
        known = known_names(rows())
    except EnvkeepError:
        return missing
    # Slips only (`typo_of`): emails of one domain share most of their letters, so a looser
    # match took zed@example.com for alice@example.com.
    close = typo_of(name, known) if name not in known else None
    if close is None:
        return missing
    again = f"if so, run it again with {close}"
    return NotFoundError(
        missing.message + did_you_mean_aside(close),
        hint=f"{again}; {_new_one(name)}" if granting else again,
    )


def _new_one(name: str) -> str:
    """How ``name`` is made when it is meant: an invite for an email, else a token."""
    if "@" in name:
        return f"someone new: envkeep member invite {name} --role ROLE"
    return f"a new token: envkeep token create {name}"
