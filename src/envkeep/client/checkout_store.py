"""Which store a checkout's project is on, said where a user may expect another.

A checkout whose envkeep.toml names no ``server`` keeps its project on an embedded store: the
one of the machine where `init` made it. Logging in to a team server changes nothing there (only
ENVKEEP_SERVER does), and `init` does not move a project between stores; moving it is done by
hand (docs/quickstart.md, "Moving a project to a team server"). These are the words that say
so, for `init`, for an unreachable server `init` chose, and for a project not found.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.errors import UnreachableError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.core.projectfile import ProjectFile
    from envkeep.settings import Settings


def moving(url: str) -> str:
    """The command that moves the checkout's project to ``url`` (a hint's end)."""
    return f"run: envkeep project move-to {url} (with --dry-run first to see the plan)"


def same_server(named: str | None, url: str) -> bool:
    """Whether envkeep.toml's ``server`` (None: none) is ``url`` (ENVKEEP_SERVER's)."""
    from envkeep.client.server_urls import bare_url

    return named is not None and bare_url(named) == bare_url(url)


def embedded_while_logged_in(ctx: ClientContext) -> str | None:
    """`init` in a checkout on the embedded store, while logged in to a server: a note that
    the server is not used for this project, and how to move it; None otherwise."""
    if ctx.settings.token or ctx.server_url is not None or not ctx.has_checkout:
        return None
    session = ctx.session
    if session is None:
        return None
    return (
        f"note: envkeep.toml names no server, so project '{ctx.project_file.project}' is on this"
        f" machine's embedded store; {session.url}, where you are logged in, is not used for it."
        f" To move it there, {moving(session.url)}"
    )


def not_created_on(project: ProjectFile, url: str) -> UsageError:
    """`init` in a checkout that ENVKEEP_SERVER points at a server envkeep.toml does not name,
    where the project does not exist: creating it there would leave the file naming another
    store (or none), and the values where they are, so nothing is created."""
    if project.server is None:
        return UsageError(
            f"envkeep.toml names no server, so project '{project.project}' is kept on an"
            " embedded store (this machine's, or that of whoever made it); init does not"
            f" create it on {url} (ENVKEEP_SERVER); nothing changed",
            hint=f"to use it here as it is, unset ENVKEEP_SERVER; to move it to {url},"
            f" {moving(url)}",
        )
    return UsageError(
        f"envkeep.toml puts project '{project.project}' on {project.server}; init does not"
        f" create it on {url} (ENVKEEP_SERVER); nothing changed",
        hint=f"unset ENVKEEP_SERVER to set it up on {project.server}",
    )


def chosen_by_login(ctx: ClientContext, name: str, error: UnreachableError) -> UnreachableError:
    """An unreachable server that `init NAME` went to only because you are logged in to it:
    say so, and name --local for the embedded store; ``error`` unchanged otherwise."""
    if ctx.settings.server or ctx.settings.token or ctx.has_checkout:
        return error
    session = ctx.session
    if session is None or ctx.server_url != session.url:
        return error
    error.message += f"; init chose {session.url} because you are logged in there"
    error.hint = (
        f"start the server or check your network and run it again; or keep project '{name}' on"
        f" this machine's embedded store instead: envkeep init {name} --local"
    )
    return error


_MISSING_PROJECT = re.compile(r"project '([^']+)' not found")


def missing_project_hint(settings: Settings, cwd: Path, message: str) -> str | None:
    """For "project 'shop' not found" in a checkout of shop whose envkeep.toml names no server,
    where a login or ENVKEEP_SERVER may have made a user expect the server: where the project
    is more likely kept. None where the usual hint ("create it with: envkeep init") holds."""
    from envkeep.client.accounts import load_session
    from envkeep.core.projectfile import find_project_file, load_project_file

    found = _MISSING_PROJECT.search(message)
    path = find_project_file(cwd)
    if found is None or path is None:
        return None
    project = load_project_file(path)
    if project.project != found[1] or project.server is not None or settings.token:
        return None
    if settings.server:
        return (
            f"envkeep.toml names no server: project '{project.project}' may be on someone's"
            f" embedded store, not on {settings.server} (ENVKEEP_SERVER); without ENVKEEP_SERVER,"
            " commands here use this machine's"
        )
    session = load_session(settings)
    if session is None:
        return None
    return (
        f"envkeep.toml names no server: project '{project.project}' is on the embedded store of"
        f" the machine where it was made, not on {session.url} where you are logged in; to"
        " start an empty one on this machine: envkeep init"
    )
