"""What this machine does about a refusal that outlasts the request: the hooks a team server's
``ApiClient`` calls with each refusal before it is raised.

A login's session refused as no longer valid (the problem's ``credential`` is "session": ended
by `session revoke` or `account passphrase` on another device, by an admin's `member
logout`, or expired) logs this machine out as `logout` does (``accounts.forget_login`` and
the kept edit buffers), so that neither the unwrapped keys nor the offline copies outlive
the session; the refusal then says so and how to log in again. A service token refused the
same way deletes nothing: it is not the login's. A refusal for holding no role in the
workspace (the problem's ``scope`` is "workspace": a removed member) deletes every offline
copy kept of that workspace, not only that of the environment the request named
(``HttpBackend.read_environment``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import AccessError, NotAuthenticated, PermissionDenied, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    import httpx

    from envkeep.client.accounts import ServerSession
    from envkeep.client.api_client import ApiClient, RefusalHook
    from envkeep.settings import Settings


def session_client(
    settings: Settings, session: ServerSession, transport: httpx.BaseTransport | None = None
) -> ApiClient:
    """A client of ``session``'s server with its token, which logs this machine out when the
    server no longer accepts the session."""
    from envkeep.client.api_client import ApiClient

    return ApiClient(
        session.url,
        token=session.token,
        transport=transport,
        on_refusal=session_ended_hook(settings, session),
    )


def session_ended_hook(settings: Settings, session: ServerSession) -> RefusalHook:
    """The hook that logs this machine out of ``session`` once the server refuses it."""

    def ended(refused: AccessError, _path: str) -> AccessError | None:
        if isinstance(refused, NotAuthenticated) and refused.credential == "session":
            return log_out_ended_session(settings, session)
        return None

    return ended


def log_out_ended_session(settings: Settings, session: ServerSession) -> NotAuthenticated:
    """Log this machine out of ``session``, which its server no longer accepts (unless another
    login replaced it meanwhile: that one stays), and the error that says so."""
    from envkeep.client.accounts import forget_login, load_session
    from envkeep.client.recovered_edits import forget_recovered_buffers

    again = f"log in again: envkeep login {session.url} --email {session.email}"
    try:
        saved = load_session(settings)
    except UsageError:  # a damaged session.json: not this session's to delete
        saved = None
    if saved is None or saved.token != session.token:
        return NotAuthenticated(
            f"the session this command used on {session.url} has ended", hint=again
        )
    done = forget_login(settings, session.url)
    forget_recovered_buffers(settings.home)
    kept = (
        "the account's keys, offline copies and kept edit buffers here are deleted"
        if done.keys_removed
        else "its offline copies and kept edit buffers are deleted, but the OS keyring would"
        " not remove the account's keys (service 'envkeep'): remove them with its own tool"
    )
    return NotAuthenticated(
        f"your session on {session.url} was ended (by you or an admin, or by a passphrase"
        f" change on another device) or has expired; this machine is logged out: {kept}",
        hint=again,
    )


def workspace_refused_hook(snapshots: Path) -> RefusalHook:
    """The hook that deletes every offline copy (under ``snapshots``) of a workspace in which
    the server says the caller holds no role."""

    def refused(error: AccessError, path: str) -> AccessError | None:
        from envkeep.client.api_client import names_in
        from envkeep.client.offline import SnapshotCache

        workspace = names_in(path)[0]
        if isinstance(error, PermissionDenied) and error.scope == "workspace" and workspace:
            SnapshotCache(snapshots).forget_workspace(workspace)
        return None

    return refused
