"""What is said and done about damaged secrets (`vault.DamagedSecret`): a read refuses them,
naming each; a key rotation files again those only misfiled (their name and value verified),
and deletes those that do not open only when its caller names each (`env rotate-key
--delete-damaged ID`), having seen them named: a server can damage any version it stores, and a
rotation that deleted whatever did not open would have let it pick which of an environment's
variables an admin signs the deletion of.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.opened_secrets import DamagedSecret
    from envkeep.client.vault import OpenEnvironment

_LISTED = 3  # secrets named in a refusal; the rest are counted


def refuse_read(ctx: ClientContext, opened: OpenEnvironment) -> None:
    """Refuse a read of ``opened`` with damaged secrets (IntegrityError), naming each one's
    secret, scope, version and author, the rotation that deals with them and the audit query
    that names the write."""
    if not opened.damaged:
        return
    project, env = ctx.project_file.project, opened.snapshot.environment.name
    said = f"{_counted(opened.damaged)} of {project}/{env} cannot be read: {_listed(opened)}"
    if ctx.server_url is None:  # the embedded store: altered on this machine
        raise IntegrityError(
            f"{said}; nothing was read",
            hint="the store on this machine was altered: restore it from a backup",
        )
    raise IntegrityError(f"{said}; nothing was read", hint=_rotation_hint(opened, project))


def refuse_rotation(opened: OpenEnvironment, project: str, *, delete: frozenset[str]) -> None:
    """Refuse a rotation of ``opened`` that would have to delete secrets that do not open,
    unless ``delete`` names each one's id (the caller saw them named: a bare "delete what does
    not open" would let a server damage another between that read and this one); misfiled
    ones are written again."""
    lost = [d for d in opened.damaged if not d.readable and d.secret.id not in delete]
    if not lost:
        return
    env = opened.snapshot.environment.name
    unnamed = " and --delete-damaged did not name" if delete else ""
    raise IntegrityError(
        f"{_counted(lost)} of {project}/{env} cannot be read{unnamed}, so the new key cannot"
        f" carry {'it' if len(lost) == 1 else 'them'}: {_listed(opened, lost)}; nothing was"
        " rotated",
        hint=_rotation_hint(opened, project),
    )


def say_rotated(ctx: ClientContext, opened: OpenEnvironment, project: str) -> None:
    """After a rotation: each damaged secret it deleted or filed again, on stderr."""
    env = opened.snapshot.environment.name
    for damaged in opened.damaged:
        done = "filed again under its name" if damaged.readable else "deleted"
        ctx.warn_once(f"{done} in {project}/{env}: secret {_one(opened, damaged)}")


def _rotation_hint(opened: OpenEnvironment, project: str) -> str:
    env = opened.snapshot.environment.name
    first = opened.damaged[0]
    who = f" --principal {first.principal}" if first.principal != "?" else " --action secrets"
    audit = f"the audit names the write: envkeep audit --env {env}{who}"
    if all(d.readable for d in opened.damaged):
        return (
            f"an admin of {project}/{env} files them again with a new key: envkeep env"
            f" rotate-key {env} --project {project}; {audit}"
        )
    named = "".join(f" --delete-damaged {d.secret.id}" for d in opened.damaged if not d.readable)
    return (
        f"see who wrote them first ({audit}); then an admin of {project}/{env} deletes what"
        f" does not open with a new key: envkeep env rotate-key {env} --project {project}"
        f"{named}"
    )


def _counted(damaged: Sequence[DamagedSecret]) -> str:
    return f"{len(damaged)} variable{'s' if len(damaged) > 1 else ''}"


def _listed(opened: OpenEnvironment, damaged: Sequence[DamagedSecret] | None = None) -> str:
    chosen = opened.damaged if damaged is None else damaged
    listed = "; ".join(_one(opened, d) for d in chosen[:_LISTED])
    more = f"; and {len(chosen) - _LISTED} more" if len(chosen) > _LISTED else ""
    return listed + more


def _one(opened: OpenEnvironment, damaged: DamagedSecret) -> str:
    return (
        f"{damaged.secret.id} ({opened.scope_name(damaged.secret.scope)}, version"
        f" {damaged.secret.current.version}, written by {damaged.author}): {damaged.reason}"
    )
