"""`envkeep project list`: the projects one can use, to set up a checkout of one
(`envkeep init NAME` in an empty directory, or ENVKEEP_PROJECT for a script).

A workspace-wide reader lists the workspace's projects (`GET …/projects`). A member whose
roles all lie in some projects may not list the workspace's (the server refuses it: project
names are the workspace's to show), so they are given the projects their own roles name,
which are the ones they can use; the answer says which of the two it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import PermissionDenied

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class ProjectList:
    """Project names, sorted; ``whole``: every project of the workspace (else those the
    caller's roles name); ``here``: the project of the current checkout, if any."""

    names: tuple[str, ...]
    whole: bool
    here: str | None


def list_projects(ctx: ClientContext) -> ProjectList:
    """The projects the caller can use, in the store this directory uses."""
    from envkeep.client.http import HttpBackend

    here = ctx.project_file.project if ctx.has_checkout else None
    backend = ctx.backend
    try:
        return ProjectList(tuple(sorted(backend.list_projects())), True, here)
    except PermissionDenied:
        if not isinstance(backend, HttpBackend):
            raise
    from envkeep.client.members import list_members

    bindings = list_members(ctx)
    mine = {
        str(b["project"])
        for b in bindings
        if b.get("project") and str(b["principal"]["id"]) == ctx.identity.principal_id
    }
    return ProjectList(tuple(sorted(mine)), False, here)
