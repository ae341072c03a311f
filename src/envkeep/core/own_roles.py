"""Who changes a member's own roles: never that member (a sole admin would lock the workspace
out), so the refusal names the admins who can, or tells the only admin what to do first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Sequence

NAMED = 3  # admins named in a hint; more are "and N more"


def own_change_hint(admins: Sequence[str], command: str) -> str:
    """What to do about a change to one's own role that ``command`` would make: ask one of
    ``admins`` (the others who could run it) to run it, or, when there is none, invite
    another admin first."""
    if not admins:
        return (
            "you are the only admin here: invite another first (envkeep member invite EMAIL"
            f" --role admin; once they join, envkeep member seal EMAIL); then they run: {command}"
        )
    shown = list(admins[:NAMED])
    if len(admins) > NAMED:
        shown.append(f"{len(admins) - NAMED} more")
    return f"ask another admin ({spoken_list(shown)}) to run: {command}"
