"""The workspaces (tenants) you belong to on the team server: listed, created, switched to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from envkeep.api import schemas
from envkeep.client.accounts import save_session
from envkeep.client.answers import read_answer
from envkeep.client.sessions import user_authed
from envkeep.core.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from envkeep.settings import Settings


def workspaces(settings: Settings) -> tuple[str | None, list[dict[str, str]]]:
    """(the workspace in use, every workspace you belong to)."""
    session, api = user_authed(settings, "workspaces")
    try:
        data = api.request("GET", "/v1/whoami", answer=schemas.Whoami)
    finally:
        api.close()
    listed = read_answer(schemas.Whoami, data).workspaces  # one of a field wrong: said so
    return session.workspace_id, [w.model_dump(exclude_none=True) for w in listed]


def role_words(workspace: dict[str, str]) -> str:
    """The role a `workspace list` row shows: the highest held, and where when not over the
    whole workspace (``read (environment)``); ``-`` from a server that does not say."""
    role, level = workspace.get("role"), workspace.get("level")
    if not role:
        return "-"
    return role if level in {None, "workspace"} else f"{role} ({level})"


def create_workspace(settings: Settings, name: str) -> dict[str, str]:
    """A new workspace with you as admin (not switched to: see use_workspace)."""
    _session, api = user_authed(settings, "workspaces")
    try:
        created: dict[str, str] = api.request(
            "POST", "/v1/workspaces", json={"name": name}, answer=schemas.Workspace
        )
    finally:
        api.close()
    return created


def use_workspace(settings: Settings, name_or_id: str) -> dict[str, str]:
    """Make later commands act in another of your workspaces."""
    session, _api = user_authed(settings, "workspaces")
    _api.close()
    _current, found = workspaces(settings)
    match = _workspace_named(found, name_or_id)
    save_session(settings, replace(session, workspace_id=match["id"]))
    return match


def _workspace_named(found: list[dict[str, str]], name_or_id: str) -> dict[str, str]:
    """The one of ``found`` with this id, else with this name. Names are unique among the
    workspaces one member creates, not among those others invite the member to, so a name
    may stand for two: then the ids decide."""
    by_id = [w for w in found if w["id"] == name_or_id]
    matches = by_id or [w for w in found if w["name"] == name_or_id]
    if not matches:
        names = ", ".join(w["name"] for w in found) or "none"
        raise NotFoundError(
            f"you have no workspace '{name_or_id}' (yours: {names})",
            hint="see them with: envkeep workspace list",
        )
    if len(matches) > 1:
        ids = ", ".join(w["id"] for w in matches)
        raise UsageError(
            f"you belong to {len(matches)} workspaces called '{name_or_id}'",
            hint=f"name one by its id ({ids}): envkeep workspace use ID",
        )
    return matches[0]
