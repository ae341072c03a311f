"""The rule for project names, shared by the server and the client (which checks before it
asks anything, and without a database)."""

from __future__ import annotations

import re

from envkeep.core.errors import UsageError

PROJECT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_project_name(name: str) -> None:
    """Refuse a name a new project cannot take: it is typed in commands (``--project``),
    ``ENVKEEP_PROJECT`` and URLs, so the same letters as services and environments."""
    if PROJECT_NAME.fullmatch(name):
        return
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:63]
    example = f"'{slug}'" if slug else "shop, billing-api"
    raise UsageError(
        f"'{name}' is not a valid project name",
        hint=f"use lowercase letters, digits, '-' and '_', up to 63 (e.g. {example})",
    )
