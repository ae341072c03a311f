"""Why a file encrypted to an environment's key does not open here, where the environment
is not this store's (`decrypt`, `run --file`, merges): another store's project, or an
environment deleted, or made again under the same name with a key of its own. Each says where
the file can be opened, or to share it with `encrypt --passphrase` instead. (A key version
from before a rotation: ``client/file_key_versions``.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import PermissionDenied

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.file_source import FileSource


_SHARE = (
    "to share an encrypted file with someone who has no access to this store, encrypt it"
    " with --passphrase instead"
)


def no_project_refused(ctx: ClientContext, source: FileSource, label: str) -> PermissionDenied:
    """The error (exit 4: no key for it) for a file of a project this store does not hold at
    all (a teammate's file, read on a machine whose own embedded store never had the project).
    Its key is in the store that encrypted it: creating the project here ("envkeep init", the
    usual hint) would make new keys that cannot read it."""
    project = ctx.project_file.project
    server = ctx.server_url
    where = (
        f"which {server} does not show you (you hold no role on it there, or it is another store's)"
        if server
        else "which this machine's store does not hold (another store's: a teammate's machine,"
        " or a team server this checkout does not name)"
    )
    return PermissionDenied(
        f"{source} was encrypted with the key of environment '{label}' of project"
        f" '{project}', {where}",
        hint=(
            f"ask an admin of project '{project}' there for a role on '{label}'; {_SHARE}"
            if server
            else f"decrypt it with the store that encrypted it (envkeep init {project} here"
            f" would make new keys, which cannot read it); {_SHARE}"
        ),
    )


def other_key_refused(ctx: ClientContext, source: FileSource, label: str) -> PermissionDenied:
    """The error for a file encrypted to an environment this store does not hold: another
    store's (a teammate's machine, a team server) or one deleted since. A same-named one here
    has its own key, so the file cannot be read with it."""
    names = {e.name for e in ctx.backend.list_environments(ctx.project_file.project)}
    share = _SHARE
    if label in names:
        return PermissionDenied(
            f"{source} was encrypted with the key of another environment named '{label}'"
            f" (another store's, such as a teammate's machine, or one deleted and made again):"
            f" environment '{label}' of project '{ctx.project_file.project}' here has a key of"
            " its own",
            hint=f"decrypt it with the store that encrypted it; {share}",
        )
    return PermissionDenied(
        f"{source} was encrypted with the key of environment '{label}', which is not in"
        f" project '{ctx.project_file.project}' (deleted, or another project's)",
        hint=f"decrypt it where that environment exists, a new one of the name cannot; {share}",
    )
