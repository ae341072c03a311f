"""What the caller of `member list` can act on: the roles and invites its own admin roles
cover. Sealing keys (`member seal`) and inviting again (`member invite`) need admin where
they apply, so a reader or a writer is not told to run them; a member who lacks keys
themselves is told whom to ask instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

_NAMED = 3  # admins a note names at most


def _covers(outer: Mapping[str, Any], inner: Mapping[str, Any]) -> bool:
    """Whether ``outer``'s scope holds ``inner``'s (by project and environment names)."""
    if outer.get("project") is None:
        return True
    if outer["project"] != inner.get("project"):
        return False
    return outer.get("environment") is None or outer["environment"] == inner.get("environment")


def _mine(found: Sequence[Mapping[str, Any]], me: str | None) -> list[Mapping[str, Any]]:
    return [m for m in found if "principal" in m and str(m["principal"]["id"]) == me]


def is_mine(entry: Mapping[str, Any], me: str | None) -> bool:
    """Whether a roster row is one of the caller's own roles."""
    return "principal" in entry and str(entry["principal"]["id"]) == me


def may_act_on(
    found: Sequence[Mapping[str, Any]], me: str | None, entry: Mapping[str, Any]
) -> bool:
    """Whether the caller holds admin where ``entry`` (a role or an invite) applies, or within
    it (a project's admin seals that project's keys of a role on the workspace)."""
    return any(
        m["role"] == "admin" and (_covers(m, entry) or _covers(entry, m)) for m in _mine(found, me)
    )


def admins_over(
    found: Sequence[Mapping[str, Any]], me: str | None, entry: Mapping[str, Any]
) -> list[str]:
    """The people (not tokens) other than the caller holding admin over ``entry``, at most
    ``_NAMED`` and a count of the rest."""
    names = sorted(
        {
            str(m["principal"]["name"])
            for m in found
            if "principal" in m
            and m["role"] == "admin"
            and m["principal"].get("kind") != "service"
            and not is_mine(m, me)
            and _covers(m, entry)
        }
    )
    more = len(names) - _NAMED
    return names[:_NAMED] + ([f"{more} more"] if more > 0 else [])
