"""ENVKEEP_SIGNERS: the key fingerprints a reader trusts as signers before it has seen them (a
CI job on a fresh ENVKEEP_HOME, which would otherwise trust every signer on first use, every
run). Read here; enforced on what is read by `pins.check_signers` (on a team server and on the
embedded store alike) and on every key a data key is sealed to by
`new_keys.refuse_untrusted_recipient`; `token create` prints the value that covers the signers
its creator trusts for the token's scope (`covering_signers`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import EnvkeepError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.context import ClientContext

_HEX = frozenset("0123456789abcdef")
_GROUP, _GROUPS = 4, 8  # a fingerprint as `whoami --fingerprint` prints it: 8 groups of 4


def parse_signers(text: str) -> frozenset[str]:
    """The fingerprints ENVKEEP_SIGNERS lists, each as `whoami --fingerprint` prints it.
    Entries are separated by commas or whitespace; each is 32 hex digits, whole or in groups
    of four (as printed). Anything else, or a list of none, is a usage error naming it."""
    found: set[str] = set()
    for part in text.split(","):
        found.update(_fingerprints(part))
    if not found:
        raise UsageError(
            "ENVKEEP_SIGNERS lists no key fingerprint (set but empty: a CI variable that"
            " expanded to nothing?)",
            hint="list the fingerprints 'envkeep whoami --fingerprint' shows each signer,"
            " or unset it to trust signers on first use",
        )
    return frozenset(found)


def _fingerprints(part: str) -> list[str]:
    """The fingerprints of one comma-separated part: whole ones, or 8 groups of four in a row
    (a group left over is refused: a fingerprint cut short, or two run together)."""
    whole: list[str] = []
    groups: list[str] = []
    # Colons and dashes join a fingerprint's digits as someone may copy it (`member verify`
    # takes them too); they never separate two fingerprints.
    for word in part.lower().replace(":", "").replace("-", "").split():
        if (
            not set(word) <= _HEX
            or len(word) not in (_GROUP, _GROUP * _GROUPS)
            or (len(word) > _GROUP and groups)
        ):
            raise _malformed(" ".join([*groups, word]))
        if len(word) > _GROUP:
            whole.append(_grouped(word))
            continue
        groups.append(word)
        if len(groups) == _GROUPS:
            whole.append(" ".join(groups))
            groups = []
    if groups:
        raise _malformed(" ".join(groups))
    return whole


def _grouped(digits: str) -> str:
    return " ".join(digits[i : i + _GROUP] for i in range(0, len(digits), _GROUP))


def _malformed(entry: str) -> UsageError:
    return UsageError(
        f"ENVKEEP_SIGNERS: '{entry}' is not a key fingerprint: one is 32 hex digits, as"
        " 'envkeep whoami --fingerprint' prints them (8 groups of 4, spaces optional)",
        hint="separate fingerprints with commas or spaces, e.g."
        " ENVKEEP_SIGNERS=341a626b…,9c0d12ef…",
    )


def compact(fingerprints: Iterable[str]) -> str:
    """A value for ENVKEEP_SIGNERS listing ``fingerprints``: comma-separated, no spaces (no
    quoting needed in a shell or a CI file)."""
    return ",".join(f.replace(" ", "") for f in fingerprints)


@dataclass(frozen=True)
class ScopeSigners:
    """Who signed what a token's scope holds now (the current versions' authors, the sharers
    of the keys read), as its creator's read met them, this creator apart: the fingerprint
    this machine had pinned for each before that read, and those it first saw in it (their
    keys are the server's word only), each as a person reads it."""

    pinned: dict[str, str] = field(default_factory=dict)
    first_seen: tuple[str, ...] = ()
    # The pins as they were before that read (principal's pin key → fingerprint); None: no
    # read was made, and the pins now are the ones to go by.
    pins_before: Mapping[str, str] | None = None


def scope_signers(
    ctx: ClientContext, snapshots: Iterable[EnvironmentSnapshot], pins_before: Mapping[str, str]
) -> ScopeSigners:
    """The signers of ``snapshots`` (read by this client), with the keys ``pins_before`` (the
    pins as they were before the read, which pins a signer on first use) holds for them."""
    from envkeep.client.pins import pin_key
    from envkeep.client.principal_names import shown_principal

    pinned: dict[str, str] = {}
    first_seen: set[str] = set()
    for snapshot in snapshots:
        for principal in (*snapshot.authors, *(s.sharer for s in snapshot.shares)):
            if principal.id == ctx.identity.principal_id:
                continue
            known = pins_before.get(pin_key(ctx, principal.id))
            if known is None:
                first_seen.add(shown_principal(principal))
            else:
                pinned[shown_principal(principal)] = known
    return ScopeSigners(pinned, tuple(sorted(first_seen - set(pinned))), pins_before)


@dataclass(frozen=True)
class CoveringSigners:
    """What `token create` suggests for ENVKEEP_SIGNERS: the keys this machine trusts (its
    own, and those it pinned) of whoever can write at the token's scope, and the writers it
    has pinned no key for (their keys are the server's word only), each as a person reads it."""

    trusted: dict[str, str]  # who → fingerprint, "you" first
    unpinned: list[str]
    writers_known: bool = True  # False: the member list could not be read (only "you")


def covering_signers(
    ctx: ClientContext,
    project: str | None,
    environment: str | None,
    signed: ScopeSigners | None = None,
) -> CoveringSigners:
    """The signers a token at this scope meets, as far as this client knows them: the creator
    (who sealed its data keys), every principal with write or admin at a scope that overlaps
    it (who write its values and rotate its keys) and those who ``signed`` what it holds now
    (a former writer's values), with the fingerprints pinned here. One with no pin here is
    named apart, never listed on the server's word."""
    signed = signed or ScopeSigners()
    from envkeep.client.members import list_members
    from envkeep.client.pins import load_pins, pin_key
    from envkeep.client.principal_names import shown_member

    trusted = {"you": ctx.identity.record.public.fingerprint()}
    try:  # the token exists by now: a failure here must not fail its creation
        rows = list_members(ctx)
    except EnvkeepError:
        return CoveringSigners(trusted, [], writers_known=False)
    for who, fingerprint in signed.pinned.items():
        trusted.setdefault(who, fingerprint)
    # As pinned before the creator's read: one first seen in it was pinned on the server's word.
    pins = load_pins(ctx) if signed.pins_before is None else signed.pins_before
    unpinned = set(signed.first_seen)
    for row in rows:
        principal = row["principal"]
        if not _writes_there(ctx, row, project, environment):
            continue
        pinned = pins.get(pin_key(ctx, principal["id"]))
        if pinned is None:
            unpinned.add(shown_member(principal))
        else:
            trusted.setdefault(shown_member(principal), pinned)
    return CoveringSigners(trusted, sorted(unpinned - set(trusted)))


def _writes_there(
    ctx: ClientContext, row: dict[str, Any], project: str | None, environment: str | None
) -> bool:
    """Whether a `member list` row is a live role, not this client's, that writes where a
    token at (project, environment) reads."""
    if row["role"] == "read" or row.get("expired"):
        return False
    if row["principal"]["id"] == ctx.identity.principal_id:
        return False
    return _overlaps(row["project"], row["environment"], project, environment)


def _overlaps(
    bound_project: str | None, bound_env: str | None, project: str | None, environment: str | None
) -> bool:
    """Whether a role bound at (project, env) reaches an environment a token at the other
    scope reads (None: the whole workspace, or the whole project)."""
    if bound_project is None or project is None:
        return True
    if bound_project != project:
        return False
    return bound_env is None or environment is None or bound_env == environment
