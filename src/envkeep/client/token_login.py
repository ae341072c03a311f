"""ENVKEEP_TOKEN's login: a service account's session and keys, asked of the server its
context names and unwrapped in memory; and the refusal of a token with no server named."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.identity import Identity
from envkeep.core.errors import NotAnEnvkeepRoute, UnreachableError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.accounts import ServerSession
    from envkeep.client.token_identity import TokenIdentity


def token_login(
    url: str | None, token: str, warn_once: Callable[[str], None]
) -> tuple[ServerSession, Identity, TokenIdentity]:
    """``token``'s session, identity and what the server says of it, from the server at
    ``url`` (normalised: no trailing /, `server_urls.normalise_url`; None: none named, refused);
    its warnings (a legacy token, an expiry near) said through ``warn_once``."""
    from envkeep.client.accounts import ServerSession
    from envkeep.client.identity import IdentityRecord
    from envkeep.client.token_identity import expiry_warning, token_identity
    from envkeep.client.token_keys import LEGACY_WARNING, parse_token

    if url is None:
        raise token_needs_server()
    parsed = parse_token(token)
    try:
        found = token_identity(url, parsed)
    except UnreachableError as error:
        if not isinstance(error, NotAnEnvkeepRoute):  # a wrong URL is not about copies
            kept = "a token's keys come from the server each time, so with ENVKEEP_TOKEN"
            kept += " no kept copy stands in for it (a logged-in member's run does)"
            error.hint = f"{error.hint}; {kept}" if error.hint else kept
        raise

    if not parsed.v2:
        warn_once(LEGACY_WARNING)
    # The bearer credential: never the secret itself, for a v2 token.
    session = ServerSession(
        url, "service account", found.principal_id, found.workspace_id, parsed.bearer
    )
    record = IdentityRecord(
        found.principal_id, "service account", found.keys.public(), "memory", None
    )
    warning = expiry_warning(session, found.expires_at)
    if warning is not None:
        warn_once(warning)
    return session, Identity(record, found.keys), found


def token_needs_server() -> UsageError:
    """The refusal of ENVKEEP_TOKEN with no server named (no ENVKEEP_SERVER, no checkout whose
    envkeep.toml has one)."""
    return UsageError(
        "ENVKEEP_TOKEN needs a server",
        hint="set ENVKEEP_SERVER=https://… (the team server's address), or run in a checkout"
        " whose envkeep.toml has server =",
    )
