"""Reading an environment: fetch, unseal, verify, decrypt — the start of most commands."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from envkeep.client.kept_copies import keep_opened
from envkeep.client.vault import OpenEnvironment
from envkeep.core.errors import (
    EnvironmentNotFound,
    EnvkeepError,
    KeyNotHeld,
    PermissionDenied,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers


def read_environment(
    ctx: ClientContext,
    env: str,
    services: Sequence[str] | None = None,
    *,
    damaged_ok: bool = False,
) -> OpenEnvironment:
    """The shared scope plus ``services``' scopes (None: every scope), decrypted; refused
    when a variable read does not verify, unless ``damaged_ok`` (a key rotation, which
    deletes it)."""
    try:
        opened = OpenEnvironment.read(
            ctx.backend,
            ctx.identity,
            ctx.project_file.project,
            env,
            None if services is None else list(services),
            verify=ctx.verified,
        )
    except PermissionDenied as refused:
        if ctx.env_defaulted and env == ctx.project_file.default_env:
            from envkeep.client.default_env import refused_default

            raise refused_default(ctx, env, refused) from None
        if not isinstance(refused, KeyNotHeld):
            raise
        from envkeep.client.key_holders import named_holders

        raise named_holders(ctx, refused, None) from None  # who to ask for the key
    except EnvironmentNotFound as missing:
        if ctx.env_from_variable and env == ctx.settings.env:
            from envkeep.client.default_env import missing_from_variable

            raise missing_from_variable(env, missing) from None
        if not ctx.env_defaulted or env != ctx.project_file.default_env:
            raise
        from envkeep.client.default_env import missing_default

        raise missing_default(ctx, env, missing) from None
    ctx.verified.save()
    ctx.key_opened(opened.snapshot)
    note_unopened(ctx, opened)
    if not damaged_ok:
        from envkeep.client.damaged_secrets import refuse_read

        refuse_read(ctx, opened)
    keep_opened(ctx.backend, opened)  # only now: a forged answer replaces no good copy
    return opened


def note_unopened(ctx: ClientContext, opened: OpenEnvironment) -> None:
    """Warn (stderr) of each share of an older key of ``opened`` that did not open: the read
    did not need it and went on, but an integrity failure is never silent (damage, or a
    server that altered it), and the versions under that key will not open."""
    for unopened in opened.unopened.values():
        ctx.warn_once(unopened.warning())


@contextmanager
def refused_as_write(ctx: ClientContext, env: str) -> Iterator[None]:
    """A write command's read of ``env``: the server refuses it for want of the read role
    (it does not know a write follows), so that refusal is worded as what the command needs,
    the write role, held nowhere there (a reader would have been let read)."""
    try:
        yield
    except PermissionDenied as refused:
        if refused.needed != "read":
            raise
        where = f"environment {ctx.project_file.project}/{env}"
        raise PermissionDenied(
            f"you need the write role on {where} (you have: none there)",
            hint=refused.hint or f"ask an admin of {where} to grant it",  # it names them
            needed="write",
        ) from None


def team_layers_everywhere(ctx: ClientContext) -> list[tuple[str, ProjectLayers]]:
    """Each environment of the project this caller can read, by name, arranged as the whole
    team sees it (`resolution.team_layers`), for a change's warnings and checks: one it
    cannot read, or with a broken template, is left out, as is everything when the
    environments cannot be listed."""
    from envkeep.client.resolution import team_layers

    try:
        # Unlocked before the first request: a passphrase's key derivation between two
        # requests can outlast the server's keep-alive, and the next request then fails.
        ctx.identity  # noqa: B018 - unlocks it (a cached property)
        environments = ctx.backend.list_environments(ctx.project_file.project)
    except EnvkeepError:
        return []
    found = []
    for environment in environments:
        try:
            layers = team_layers(ctx, read_environment(ctx, environment.name))
        except EnvkeepError:  # not readable to this caller (no role, no key)
            continue
        if layers is not None:
            found.append((environment.name, layers))
    return found
