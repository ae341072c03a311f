"""Which resolved values are known not to be secret: the one decision behind what a Kubernetes
ConfigMap may hold and which values GitHub Actions need not mask.

A value is *plain* only when all of these hold, and *held* otherwise (fail closed):

- a schema declares its name (any service's: a shared value reaches every service) and none
  marks it ``@secret``;
- its value carries no credential (`credential_values`: a password in a URL, a token, a
  private key), whatever its name;
- no reference fills it, at any depth, from a value held as secret: one marked ``@secret``,
  one carrying a credential, or one whose name no schema declares and that looks secret
  (`schemarender.looks_secret`). A reference to another service's ``svc.NAME`` is judged by
  NAME (its value is not at hand; what it puts in this value is read as part of it).

A name a schema declares without ``@secret`` is plain even if it looks secret: declaring it is
how a user says so. An undeclared name that does not look secret is held, but a value built
from it is not held for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto
from typing import TYPE_CHECKING

from envkeep.core.credential_values import credential_kind
from envkeep.core.schemarender import looks_secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.core.resolve import Resolution

__all__ = ["Reason", "SchemaNames", "SecretSplit", "split_secrets"]


class Reason(Enum):
    """Why a value is held, in the order a name is given its reason (the first that applies)."""

    MARKED = auto()  # a schema marks the name @secret
    HOLDING = auto()  # a reference fills it from a value held as secret
    CREDENTIAL = auto()  # the value carries a credential
    SECRET_NAME = auto()  # no schema declares the name, which looks secret
    UNDECLARED = auto()  # no schema declares the name


# The reasons a value's own that make a value built from it secret too.
_SPREADS = frozenset({Reason.MARKED, Reason.CREDENTIAL, Reason.SECRET_NAME})


@dataclass(frozen=True)
class SchemaNames:
    """What the project's schemas say: every name they declare, and those any marks
    ``@secret`` (declared too)."""

    declared: frozenset[str]
    marked: frozenset[str]

    def name_reason(self, name: str) -> Reason | None:
        """The reason the name alone gives to hold its value, if any."""
        if name in self.marked:
            return Reason.MARKED
        if name in self.declared:
            return None
        return Reason.SECRET_NAME if looks_secret(name) else Reason.UNDECLARED


@dataclass(frozen=True)
class SecretSplit:
    """Resolved values split in two, names sorted: ``plain`` (known not to be secret) and
    ``held`` (may be), with the reason for each held name."""

    plain: Mapping[str, str] = field(repr=False)
    held: Mapping[str, str] = field(repr=False)
    reasons: Mapping[str, Reason]

    def names(self, reason: Reason) -> tuple[str, ...]:
        """The held names given ``reason``, sorted."""
        return tuple(name for name, given in self.reasons.items() if given is reason)


def split_secrets(resolution: Resolution, schemas: SchemaNames) -> SecretSplit:
    """Split ``resolution``'s values by what ``schemas`` say and what the values hold."""
    values = resolution.values
    own = {name: _own_reason(name, value, schemas) for name, value in values.items()}
    reasons: dict[str, Reason] = {}
    for name in sorted(values):
        reason = own[name]
        if reason is not Reason.MARKED and _fed_by_secret(
            resolution.references.get(name, ()), own, schemas
        ):
            reason = Reason.HOLDING
        if reason is not None:
            reasons[name] = reason
    return SecretSplit(
        plain={name: values[name] for name in sorted(values) if name not in reasons},
        held={name: values[name] for name in reasons},
        reasons=reasons,
    )


def _own_reason(name: str, value: str, schemas: SchemaNames) -> Reason | None:
    """The reason a name and its own value give, before references are looked at."""
    reason = schemas.name_reason(name)
    if reason is Reason.MARKED:
        return reason
    if credential_kind(value) is not None:
        return Reason.CREDENTIAL
    return reason


def _fed_by_secret(
    references: tuple[str, ...], own: Mapping[str, Reason | None], schemas: SchemaNames
) -> bool:
    """Whether any of ``references`` (transitive already) names a value held as secret."""
    for ref in references:
        # This set's name (a dotted one too) was judged with its value; of ``service.NAME``,
        # NAME is what a schema declares or marks.
        reason = own[ref] if ref in own else schemas.name_reason(ref.partition(".")[2] or ref)
        if reason in _SPREADS:
            return True
    return False
