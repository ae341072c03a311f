"""`envkeep project move-to URL`: a project of this machine's embedded store copied to a team
server, then envkeep.toml pointed at it.

The project is created there as `init` creates it (its environments, each key sealed to the
creator and to every member whose role opens it; its services), each environment's values are
written as stored, one batch per environment (all or nothing: `import_batch`, schemas not
checked again: a value stored with --no-validate goes as it is), and the environments'
settings (description, protection) follow. Only then does envkeep.toml gain ``server =`` and
``workspace =``, in one atomic write: a move that stops midway leaves the file as it was, and
running it again carries on (`project_move_plan` counts what the server holds already, and
the keys of the environments an earlier move made are sealed again to whoever lacks them). No
value is written to disk; the embedded store keeps its copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.import_batch import import_into_scopes
from envkeep.client.new_keys import share_new_key
from envkeep.client.project_services import register_service
from envkeep.client.projects import NotSealed, create_with_keys, share_fresh_keys
from envkeep.core.errors import ConflictError, EnvkeepError
from envkeep.core.files import write_atomic
from envkeep.core.projectfile_edits import with_top_setting

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext
    from envkeep.client.project_move_plan import EnvironmentMove, MovePlan


@dataclass(frozen=True)
class MoveOutcome:
    """What the move wrote: values per environment (those an earlier move wrote are not
    counted), the workspace written into envkeep.toml, and the keys left unsealed."""

    written: dict[str, int]
    workspace: str
    unsealed: tuple[NotSealed, ...] = ()


def move_project(
    local: ClientContext,
    server: ClientContext,
    plan: MovePlan,
    progress: Callable[[], None] | None = None,
) -> MoveOutcome:
    """Carry ``plan`` out; an error midway says that envkeep.toml is unchanged and that
    running the command again carries on."""
    read = local.project_file.path.read_bytes()
    try:
        unsealed = _create_missing(server, plan)
        written = {env.name: _write_environment(server, env, progress) for env in plan.environments}
    except EnvkeepError as error:
        error.hint = _carry_on_hint(plan, error.hint)
        raise
    workspace = server.workspace_id or ""
    _point_project_file(local, plan.url, workspace, read)
    return MoveOutcome(written, workspace, unsealed)


def _carry_on_hint(plan: MovePlan, hint: str | None) -> str:
    again = f"envkeep project move-to {plan.url}"
    said = f"envkeep.toml is unchanged; run {again} again to carry on where this stopped"
    return f"{hint}; {said}" if hint else said


def _create_missing(server: ClientContext, plan: MovePlan) -> tuple[NotSealed, ...]:
    """The project (or, where an earlier move made it, the environments it lacks) and the
    services it lacks, as `init` makes them; the keys left unsealed, by environment."""
    unsealed: list[NotSealed] = []
    if not plan.exists:
        fresh = create_with_keys(server, plan.project, [e.name for e in plan.environments])
        unsealed += share_fresh_keys(server, plan.project, fresh)
    else:
        from envkeep.client.environments import create_environment

        for name in plan.missing_environments:
            unsealed += [NotSealed(name, u) for u in create_environment(server, name).unsealed]
        unsealed += _seal_again(server, plan)
    for service in plan.services:
        if service.name in plan.missing_services:
            register_service(
                server, plan.project, service.name, path=service.path, schema=service.schema_path
            )
    return tuple(unsealed)


def _seal_again(server: ClientContext, plan: MovePlan) -> list[NotSealed]:
    """The keys of environments an earlier move made, sealed to whoever their role opens them
    to and lacks them: that move may have stopped between creating them and sealing them."""
    left: list[NotSealed] = []
    for env in plan.environments:
        if env.key is not None:
            left += [NotSealed(env.name, u) for u in share_new_key(server, env.key)]
    return left


def _write_environment(
    server: ClientContext, env: EnvironmentMove, progress: Callable[[], None] | None
) -> int:
    """``env``'s values in one batch (none already held is written twice), then its settings;
    the number of values written."""
    scoped = [(service, values) for service, values in env.scopes if values]
    if env.to_write:
        import_into_scopes(
            server, env.name, scoped, on_conflict="fail", confirmed=True, progress=progress,
            check=False,
        )  # fmt: skip
    if env.description is not None or env.protected:
        server.backend.update_environment(
            server.project_file.project,
            env.name,
            rename=None,
            description=env.description,
            protected=env.protected or None,
        )
    return env.to_write


def _point_project_file(local: ClientContext, url: str, workspace: str, read: bytes) -> None:
    """envkeep.toml with ``server =`` and ``workspace =`` set, every other line kept with its
    line ending (a CRLF file stays CRLF: git would show every line changed), written
    atomically (a crash leaves the old file or the new one, never half of one); refused where
    it is no longer the bytes ``read`` before the move (an edit, a checkout of another branch:
    it may name another project now)."""
    path = local.project_file.path
    if path.read_bytes() != read:
        raise ConflictError(
            f"{path} changed while the project moved; it was left as it is (the values are on"
            f" {url})",
            hint=f"check the file, then run envkeep project move-to {url} again: it finds the"
            " values there and only points envkeep.toml at the server",
        )
    crlf = b"\r\n" in read
    text = with_top_setting(read.decode("utf-8").replace("\r\n", "\n"), "server", url)
    if workspace:
        text = with_top_setting(text, "workspace", workspace)
    if crlf:
        text = text.replace("\n", "\r\n")
    write_atomic(path, text.encode("utf-8"), mode=path.stat().st_mode & 0o777)
