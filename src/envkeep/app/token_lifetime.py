"""The server's maximum lifetime for service-account tokens (`token_max_lifetime`): when a
new or rotated token expires under it, and which tokens made before it exceed it.

Without a maximum (the default) a token lives as long as its creator asks, or for ever. With
one, no token made or rotated lives longer:

- a new token given no expiry gets the maximum; one asked to live longer, or for ever, is
  refused (`LifetimeOverMaximum`, naming the maximum and what to pass): a token shorter than
  asked would surprise whoever scheduled its rotation;
- a rotation asked for an expiry, or for none, is held to the same; one that keeps the old
  token's lifetime (nothing asked) gets it capped to the maximum from now, so a token from
  before the policy that never expired comes back expiring;
- tokens made before the maximum was set keep working: `token list` flags those whose lifetime
  exceeds it (`exceeds`), for their admins to rotate.

An expiry is reckoned on the creator's clock; one up to ``SKEW`` past the maximum is taken,
as the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from envkeep.app.context import aware
from envkeep.core.durations import duration_text
from envkeep.core.errors import LifetimeOverMaximum, UsageError

if TYPE_CHECKING:
    from datetime import datetime

SKEW = timedelta(minutes=5)  # how far a client's clock may run ahead of the server's


@dataclass(frozen=True)
class LifetimePolicy:
    """The server's rule for tokens' lifetimes: ``maximum`` None for none."""

    maximum: timedelta | None = None

    def exceeds(self, created_at: datetime, expires_at: datetime | None, now: datetime) -> bool:
        """Whether a token made at ``created_at`` to end at ``expires_at`` (None: never), not
        expired by ``now``, lives longer than the maximum (never, with none)."""
        if self.maximum is None:
            return False
        if expires_at is None:
            return True
        return aware(expires_at) > now and aware(expires_at) - aware(created_at) > self.maximum


NO_MAXIMUM = LifetimePolicy()


@dataclass(frozen=True)
class Lifetime:
    """When a token made now expires (None: never); ``at_maximum``: the server's maximum
    chose it (none was asked, or a longer one kept at a rotation)."""

    expires_at: datetime | None
    at_maximum: bool = False

    @property
    def shown(self) -> str | None:
        """When it expires as the API says it: ISO 8601, UTC; None: never."""
        return aware(self.expires_at).isoformat() if self.expires_at else None

    @property
    def audited(self) -> dict[str, object]:
        """What a token's create or rotate event says of its lifetime: when it expires
        (``never``), and whether the server's maximum chose that."""
        said: dict[str, object] = {"expires_at": self.shown or "never"}
        if self.at_maximum:
            said["at_maximum"] = True
        return said


def new_lifetime(
    policy: LifetimePolicy, now: datetime, asked: datetime | None, *, never: bool
) -> Lifetime:
    """The lifetime of a token made ``now``, asked to end at ``asked`` (None: not said) or
    ``never``: as asked, or the maximum when nothing was; a LifetimeOverMaximum for one
    longer than the maximum, or never ending, where there is one."""
    if never and asked is not None:
        raise UsageError(
            "a token cannot both expire and never expire",
            hint="give a lifetime (--expires 30d) or --expires never, not both",
        )
    if policy.maximum is None:
        return Lifetime(None if never else asked)
    if never:
        raise _refusal(policy.maximum, "a token that never expires")
    if asked is None:
        return Lifetime(now + policy.maximum, at_maximum=True)
    latest = now + policy.maximum
    if aware(asked) - latest > SKEW:
        raise _refusal(policy.maximum, f"an expiry at {aware(asked):%Y-%m-%d %H:%M} UTC")
    return Lifetime(min(aware(asked), latest))


def rotated_lifetime(
    policy: LifetimePolicy,
    now: datetime,
    asked: datetime | None,
    *,
    never: bool,
    kept: datetime | None,
) -> Lifetime:
    """The lifetime of a rotated token made ``now``: as `new_lifetime` for an expiry asked (or
    ``never``); else ``kept`` (the old token's lifetime from now; None: it never expired),
    capped to the maximum from now."""
    if never or asked is not None:
        return new_lifetime(policy, now, asked, never=never)
    if policy.maximum is None or (kept is not None and aware(kept) <= now + policy.maximum):
        return Lifetime(kept)
    return Lifetime(now + policy.maximum, at_maximum=True)


def _refusal(maximum: timedelta, asked: str) -> LifetimeOverMaximum:
    most = duration_text(maximum)
    return LifetimeOverMaximum(
        f"{asked} is over this server's maximum lifetime for tokens, {most}",
        hint=f"give --expires {most} or less, or leave --expires out to get {most} at most",
    )
