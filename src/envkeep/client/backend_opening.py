"""The backend a command's context opens on first use: the embedded store, or the team server
with its kept copies, refusal hooks and pins; and the checks that backend runs on what it
reads (signers, an environment's or a service's id against this machine's pins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import NotAuthenticated

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.app.views import PrincipalView, ServiceView
    from envkeep.client.backend import Backend
    from envkeep.client.context import ClientContext


def open_backend(ctx: ClientContext) -> Backend:
    """The backend ``ctx``'s command reads and writes through (`ClientContext.backend`)."""
    url = ctx.server_url
    # A malformed ENVKEEP_SIGNERS is refused before anything is read, on either store.
    listed = ctx.listed_signers
    if url is None:
        from envkeep.client.local import LocalBackend

        # The embedded store's values are this identity's own: another signer there
        # altered its file. With a list, its reads are checked as a server's are.
        check = None if listed is None else _signers_check(ctx)
        return LocalBackend(ctx.settings.database_path, ctx.identity, check, ctx.notify)
    from envkeep.client.api_client import ApiClient
    from envkeep.client.http import HttpBackend

    # A malformed ENVKEEP_MAX_AGE is refused on every command here, server up or down, not
    # first on the day the server is down and a copy is read.
    limit = ctx.offline_limit()
    session = ctx.server_session(url)
    workspace_id = ctx.workspace_id
    if workspace_id is None:
        raise NotAuthenticated(f"you have no workspace on {url}", hint="ask an admin to invite you")
    from envkeep.client.accounts import data_dir
    from envkeep.client.offline import SnapshotCache
    from envkeep.client.refusals import session_client, workspace_refused_hook

    kept = data_dir(ctx.settings, url) / "snapshots"
    # A token never falls back to a copy (its keys come from the server each time: a
    # revoked token must not work offline), so it keeps none either. A command that
    # writes reads none, and keeps those of what it writes up to date.
    cache = None
    if not ctx.settings.token:
        cache = SnapshotCache(kept, limit, ctx.warn_once, loads=ctx.offline_reads)
    # A refused token deletes nothing of the login's (its own refusal says what to do, and
    # a token without a role says nothing of the login's access); the login's refusal of
    # any role in the workspace deletes the copies kept of it.
    if ctx.settings.token:
        api = ApiClient(url, token=session.token)
    else:
        api = session_client(ctx.settings, session)
        api.add_refusal_hook(workspace_refused_hook(kept))
    if ctx.command is not None:
        api.say_command(ctx.command)
    from envkeep.client.environment_pins import EnvironmentPins
    from envkeep.client.kept_copies import opens_whole
    from envkeep.client.service_pins import ServicePins

    ctx.environment_pins = EnvironmentPins(ctx.settings.home, url, workspace_id, ctx.warn_once)
    ctx.service_pins = ServicePins(ctx.settings.home, url, workspace_id, ctx.warn_once)
    return HttpBackend(
        api,
        workspace_id,
        cache,
        check_signers=_signers_check(ctx),
        check_environment=_environment_check(ctx),
        check_services=_services_check(ctx),
        opens=opens_whole(lambda: ctx.identity, lambda: ctx.verified),
    )


def _signers_check(ctx: ClientContext) -> Callable[[Sequence[PrincipalView]], None]:
    """Refuse signers ENVKEEP_SIGNERS does not list, or, without a list, not the ones this
    machine trusted on first use (`pins.check_signers`)."""

    def check(principals: Sequence[PrincipalView]) -> None:
        from envkeep.client.pins import check_signers

        check_signers(ctx, principals, ctx.listed_signers)

    return check


def _environment_check(ctx: ClientContext) -> Callable[[str, str, str, int | None], None]:
    """Refuse an environment that is not the one this machine read under its name before,
    or under an older key than it read (the pins made with the team server's backend),
    unless this command trusts it."""

    def check(project: str, env: str, env_id: str, key_version: int | None) -> None:
        if ctx.environment_pins is not None:
            trusted = (project, env) in ctx.trusted_environments
            ctx.environment_pins.check(
                project, env, env_id, key_version=key_version, trusted=trusted
            )

    return check


def _services_check(ctx: ClientContext) -> Callable[[str, Sequence[ServiceView]], None]:
    """Refuse services that are not the ones this machine read under their names before,
    unless this command trusts them (`service trust`)."""

    def check(project: str, services: Sequence[ServiceView]) -> None:
        if ctx.service_pins is not None:
            trusted = [name for p, name in ctx.trusted_services if p == project]
            ctx.service_pins.check(project, services, trusted=trusted)

    return check
