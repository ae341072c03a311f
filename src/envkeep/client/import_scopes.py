"""Which scope each file of an `import` goes to: the one ``--service`` names for every file,
else each file's own service, the one whose directory (envkeep.toml's ``path``) holds it, and
the command's default scope (the service whose directory it runs in, else the shared scope) for
stdin and any file in no service's directory.

A repository moving to envkeep has a ``.env`` in each service's directory: ``envkeep import
services/*/.env`` then fills every service's scope in one command, where it layered them all
into the shared scope (the last file's PORT winning for every service).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.client.context import ClientContext

__all__ = ["ImportScope", "import_scopes"]

STDIN = "-"


@dataclass(frozen=True)
class ImportScope:
    """The files layered into one scope (None: shared), in the order given."""

    service: str | None
    files: tuple[Path, ...]


def import_scopes(
    ctx: ClientContext, files: Sequence[Path], service: str | None
) -> list[ImportScope]:
    """The scopes ``files`` go to, each once, in the order their first file was given;
    ``service``: the --service given (``-`` for shared), which takes every file."""
    if service is not None:
        return [ImportScope(ctx.default_service(service), tuple(files))]
    grouped: dict[str | None, list[Path]] = {}
    for file in files:
        grouped.setdefault(_file_service(ctx, file), []).append(file)
    return [ImportScope(owner, tuple(group)) for owner, group in grouped.items()]


def _file_service(ctx: ClientContext, file: Path) -> str | None:
    """The service whose directory holds ``file``, else the command's default scope."""
    if str(file) == STDIN or not ctx.has_checkout:
        return ctx.directory_service
    owner = ctx.project_file.service_at((ctx.cwd / file).parent)
    return owner if owner is not None else ctx.directory_service
