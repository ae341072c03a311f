"""Client use cases for environments: create, list, delete, edit, clone (comparing two:
`environment_diff`; promoting values from one to another: `promotion`).

A clone is not checked against the schemas as a write is: its values resolve in the new
environment as they do in the source, so a schema refuses nothing there that it did not
already refuse. envkeep.toml's environments list and default_env follow each change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.fresh_environments import fresh_environment
from envkeep.client.new_keys import NewKey, Unsealed, share_new_key
from envkeep.client.opening import open_all_scopes
from envkeep.client.write_plans import WriteTarget, plan_write
from envkeep.core.errors import EnvironmentNotFound, EnvironmentProtected, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.views import EnvironmentView
    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class Created:
    """A new environment; ``unsealed``: those its roles open whom its key was not sealed to."""

    environment: EnvironmentView
    unsealed: tuple[Unsealed, ...] = ()
    copied: int = 0  # variables, for a clone


def create_environment(ctx: ClientContext, name: str, project: str | None = None) -> Created:
    """A new environment with its own data key (listed in envkeep.toml, when it is of this
    checkout's project), the key sealed to everyone whose role opens it. ``project``: another
    project of the workspace's, or one named outside a checkout (default: this one)."""
    own = ctx.project_file.project if ctx.has_checkout or project is None else None
    target = project or own or ""
    new = fresh_environment(ctx.identity, name)
    created = ctx.backend.create_environment(target, new.environment)
    _pin_made_here(ctx, target, created)
    if target == own:
        _add_to_project_file(ctx, name)
    return Created(created, _shared(ctx, target, created, new.data_key))


def _pin_made_here(ctx: ClientContext, project: str, created: EnvironmentView) -> None:
    """An environment this machine made is the one its name stands for here from now on,
    whatever this machine read under that name before (one a teammate deleted since)."""
    if ctx.environment_pins is not None:
        ctx.environment_pins.made(project, created.name, created.id)


def _shared(
    ctx: ClientContext, project: str, created: EnvironmentView, dek: bytes
) -> tuple[Unsealed, ...]:
    """The new environment's key sealed to the others its roles open; those it was not."""
    new = NewKey(project, created.name, created.id, created.key_version, dek)
    return share_new_key(ctx, new)


def list_environments(ctx: ClientContext) -> list[EnvironmentView]:
    """The project's environments."""
    return ctx.backend.list_environments(ctx.project_file.project)


def rotation_owed(env: EnvironmentView) -> str:
    """The warning for an environment whose current key a principal without access holds (a
    revocation by someone who could not rotate it: `EnvironmentView.former_holders`)."""
    held = (
        "principal that lost access holds"
        if env.former_holders == 1
        else ("principals that lost access hold")
    )
    return (
        f"warning: {env.former_holders} {held} the current key of {env.name}: values written"
        f" there are open to them until an admin rotates it: envkeep env rotate-key {env.name}"
    )


def check_deletable(ctx: ClientContext, name: str) -> None:
    """Refuse, before anyone is asked to confirm, what `delete_environment` would refuse: the
    default environment, one that does not exist, and a protected one (the store refuses the
    last itself too)."""
    _refuse_default(ctx, name)
    listed = list_environments(ctx)
    found = next((e for e in listed if e.name == name), None)
    if found is None:
        from envkeep.app.not_found import environment_not_found

        project = ctx.project_file.project
        raise environment_not_found(name, project, [e.name for e in listed])
    if found.protected:
        raise EnvironmentProtected.named(name)


def delete_environment(ctx: ClientContext, name: str) -> None:
    """Delete an environment and everything in it (and its name from envkeep.toml's list).
    The project's default environment is refused: every command without --env reads it."""
    _refuse_default(ctx, name)
    ctx.backend.delete_environment(ctx.project_file.project, name)
    if ctx.environment_pins is not None:  # the name may stand for a new one next
        ctx.environment_pins.forget(ctx.project_file.project, name)
    _listed_in_project_file(ctx, lambda envs: [e for e in envs if e != name])


def trust_environment(ctx: ClientContext, name: str, project: str | None = None) -> str:
    """`env trust`: read ``name`` and pin the id the server gives it now, whatever this
    machine pinned before (after an admin renamed, deleted or re-created environments); the
    id, shortened, as the refusal named it."""
    target = project or ctx.project_file.project
    ctx.trusted_environments.add((target, name))
    snapshot = ctx.backend.read_environment(target, name, [])
    if ctx.environment_pins is None:
        raise UsageError(
            "environments are pinned on a team server; this project is on the embedded store",
            hint="nothing to trust here",
        )
    return snapshot.environment.id[:8]


def _refuse_default(ctx: ClientContext, name: str) -> None:
    project = ctx.project_file
    if name == project.default_env:
        others = [e for e in project.environments if e != name]
        example = f' (e.g. default_env = "{others[0]}")' if others else ""
        raise UsageError(
            f"'{name}' is the default environment of {project.path}; nothing was deleted",
            hint=f"set default_env there to another environment first{example}",
        )


def is_protected(ctx: ClientContext, name: str) -> bool:
    """Whether the project's environment ``name`` is protected (False for one not found: the
    edit itself then says so)."""
    found = ctx.backend.list_environments(ctx.project_file.project)
    return any(e.name == name and e.protected for e in found)


def edit_environment(
    ctx: ClientContext,
    name: str,
    *,
    rename: str | None = None,
    description: str | None = None,
    protected: bool | None = None,
) -> EnvironmentView:
    """Rename, describe or (un)protect an environment."""
    if rename is None and description is None and protected is None:
        raise UsageError(
            "nothing to change",
            hint="pass --rename NEW, --description TEXT, --protect or --unprotect",
        )
    updated = ctx.backend.update_environment(
        ctx.project_file.project,
        name,
        rename=rename,
        description=description,
        protected=protected,
    )
    if rename is not None and rename != name:
        if ctx.environment_pins is not None:  # this machine's rename: its pin moves with it
            ctx.environment_pins.moved(ctx.project_file.project, name, rename)
        _rename_in_project_file(ctx, name, rename)
    return updated


def _rename_in_project_file(ctx: ClientContext, old: str, new: str) -> None:
    """Keep envkeep.toml's default_env and environments list pointing at the renamed one."""
    _listed_in_project_file(
        ctx,
        lambda envs: [new if e == old else e for e in envs],
        default_env=new if ctx.project_file.default_env == old else None,
    )


def _add_to_project_file(ctx: ClientContext, name: str) -> None:
    """List a new environment in envkeep.toml (once)."""
    _listed_in_project_file(ctx, lambda envs: envs if name in envs else [*envs, name])


def _listed_in_project_file(
    ctx: ClientContext,
    edit: Callable[[list[str]], list[str]],
    *,
    default_env: str | None = None,
) -> None:
    """Apply ``edit`` to envkeep.toml's environments list (a file without one keeps none),
    and set its default_env; the file is rewritten only when something changed."""
    from envkeep.core.files import write_atomic
    from envkeep.core.projectfile_edits import with_top_setting

    project = ctx.project_file
    listed = list(project.environments)
    edited = edit(listed) if listed else listed
    if edited == listed and default_env is None:
        return
    text = project.path.read_text(encoding="utf-8")
    if default_env is not None:
        text = with_top_setting(text, "default_env", default_env)
    if edited != listed:
        text = with_top_setting(text, "environments", edited)
    write_atomic(project.path, text.encode(), mode=0o644)


def clone_environment(ctx: ClientContext, source: str, target: str) -> Created:
    """A new environment holding a copy of every scope's values (under its own data key),
    created in one transaction, its key sealed as `create_environment` seals it."""
    try:
        variables = open_all_scopes(ctx, source).variables()
    except EnvironmentNotFound as missing:  # the source: there is nothing to create
        if missing.hint is None or not missing.hint.startswith("did you mean"):
            missing.hint = "see the environments there are: envkeep env list"
        raise
    new = fresh_environment(ctx.identity, target)
    into = WriteTarget(new.environment.id, new.data_key, new.environment.key_version)
    writes = tuple(plan_write(ctx.identity, into, v.scope_key, v.name, v.value) for v in variables)
    created = ctx.backend.create_environment(ctx.project_file.project, new.with_writes(writes))
    _pin_made_here(ctx, ctx.project_file.project, created)
    _add_to_project_file(ctx, target)
    return Created(
        created, _shared(ctx, ctx.project_file.project, created, new.data_key), len(writes)
    )
