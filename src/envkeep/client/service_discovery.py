"""The services `envkeep init` finds in a new project's directory, and the names it gives them.

A directory that holds a .env.example, a .env or a Dockerfile looks like a service; `init`
offers each (or, with --yes, adds them all) and names the project and each service after its
directory, made into a valid name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.core.projectfile import ServiceEntry

if TYPE_CHECKING:
    from pathlib import Path


def discover_services(root: Path, *, depth: int = 3) -> list[ServiceEntry]:
    """Directories under ``root`` that look like services: they hold a .env.example, a .env
    or a Dockerfile (hidden directories, virtualenvs and node_modules are skipped)."""
    found: list[ServiceEntry] = []
    skip = {"node_modules", "venv", "__pycache__", "dist", "build", "target"}

    def walk(directory: Path, level: int) -> None:
        for child in sorted(p for p in directory.iterdir() if p.is_dir()):
            if child.name.startswith(".") or child.name in skip:
                continue
            markers = {m for m in (".env.example", ".env", "Dockerfile") if (child / m).is_file()}
            if markers:
                rel = child.relative_to(root).as_posix()
                schema = f"{rel}/.env.example" if ".env.example" in markers else None
                found.append(ServiceEntry(service_slug(child.name), path=rel, schema=schema))
            elif level < depth:
                walk(child, level + 1)

    walk(root, 1)
    return found


def service_slug(text: str) -> str:
    """A directory name made into a valid service name (``Billing API`` → ``billing-api``)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:63] or "service"
    return f"{slug}-service" if slug == SHARED_SCOPE else slug  # 'shared' is the shared scope
