"""Who `whoami` says you are: one identity per line of it, never two mixed.

Logged in, it is the server account (its email, id and key: what teammates pin and compare),
wherever the command runs. A checkout whose envkeep.toml names no server keeps its project on
this machine's embedded store, signed by the local identity: that one is shown apart, labelled.
It was once shown as the account's email with the local identity's id and fingerprint, so a
comparison read out to a teammate failed for no reason, or passed one that should have failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.client.accounts import ServerSession
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import IdentityRecord


@dataclass(frozen=True)
class WhoAmI:
    """``me``: the server account's keys when logged in (``session``), else the local
    identity's. ``local``: the local identity, when logged in but this checkout's project is on
    the embedded store (None there: none made yet on this machine). ``embedded_here``: whether
    commands run here use the embedded store."""

    session: ServerSession | None
    me: IdentityRecord
    embedded_here: bool
    local: IdentityRecord | None = None


def who_am_i(ctx: ClientContext) -> WhoAmI:
    """Who you are for ``ctx``'s directory: the account logged in (or ENVKEEP_TOKEN's), with
    the local identity beside it where a checkout uses the embedded store."""
    from envkeep.client.accounts import server_record
    from envkeep.client.identity import load_record

    session = ctx.session
    url = ctx.server_url
    if session is None:
        return WhoAmI(None, ctx.identity.record, embedded_here=url is None)
    if ctx.settings.token or (url is not None and url != session.url):
        # A token's keys are its own; a project on another server refuses (not logged in there).
        return WhoAmI(session, ctx.identity.record, embedded_here=False)
    me = server_record(ctx.settings, session)  # public keys only: nothing to unlock
    if url is not None:
        return WhoAmI(session, me, embedded_here=False)
    return WhoAmI(session, me, embedded_here=True, local=load_record(ctx.settings))
