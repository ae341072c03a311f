"""What `member remove`, `member revoke` and `token revoke` are about to do, said before they
do it: the roles they take, the tokens that end with them and the environments whose keys are
rotated after it.

Each acts at once and cannot be undone (a removed member is invited again; a revoked token is
made again, with a new secret to hand out), so, as a grant that lowers a role does
(`revocation_preview.Lowering`), each asks on a terminal and, off one, goes ahead only with
--yes: the refusal says what it would have done. Withdrawing invites asks nothing (it takes no
access and rotates no key). The forecast is `_seen_roles`'s; the server decides for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from envkeep.client._seen_roles import held_words, named
from envkeep.core.errors import ConfirmationRequired
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client._seen_roles import Forecast


@dataclass(frozen=True)
class RevocationPlan:
    """What removing a member or revoking a token (``who``: an email, ``token NAME``) will
    do: the roles taken (``write on shop``), the tokens that end with them (by name), the
    environments whose keys it rotates and those it leaves for an admin to rotate (project/env),
    and the command, quoted for a shell, that does it."""

    who: str
    held: tuple[str, ...]
    tokens: tuple[str, ...]
    rotated: tuple[str, ...]
    left: tuple[str, ...]
    command: str
    # What ends: a member (`member remove`), one role of theirs (`member revoke`), a token.
    ending: Literal["member", "role", "token"] = "member"

    @classmethod
    def of(
        cls,
        forecast: Forecast,
        command: str,
        may_rotate: Callable[[str, str], bool] | None = None,
        *,
        ending: Literal["member", "role"] | None = None,
    ) -> RevocationPlan:
        """From a forecast; ``may_rotate(project, environment)``: whether this identity rotates
        that key (None: every one), the others left for an admin."""
        mine = [
            e
            for e in forecast.environments
            if may_rotate is None or may_rotate(e["project"], e["environment"])
        ]
        return cls(
            forecast.who,
            tuple(held_words(b) for b in forecast.taken),
            forecast.tokens,
            tuple(named(e) for e in mine),
            tuple(named(e) for e in forecast.environments if e not in mine),
            command,
            ending or ("token" if forecast.who.startswith("token ") else "member"),
        )

    @property
    def _token(self) -> bool:
        return self.ending == "token"

    @property
    def _verb(self) -> tuple[str, str]:
        """(doing it, do it) as said of what ends."""
        return {
            "token": ("revoking it", "revoke it"),
            "role": ("revoking it", "revoke it"),
            "member": ("removing them", "remove them"),
        }[self.ending]

    def __str__(self) -> str:
        """``bob@x.io holds write on shop; removing them takes that role, revokes token ci and
        rotates the keys of shop/dev, shop/prod``."""
        holds = f"{self.who} holds {spoken_list(self.held) if self.held else 'no role'}"
        does = ["ends it"] if self._token else [_taking(len(self.held))]  # a role: that one
        if self.tokens:
            kind = "token" if len(self.tokens) == 1 else "tokens"
            does.append(f"revokes {kind} {', '.join(self.tokens)}")
        if self.rotated:
            does.append(f"rotates the keys of {', '.join(self.rotated)}")
        if self.left:
            does.append(f"leaves the keys of {', '.join(self.left)} for an admin to rotate")
        return f"{holds}; {self._verb[0]} {spoken_list(does)}"

    def question(self) -> str:
        """What a terminal is asked."""
        return f"{self}. {self._verb[1].capitalize()}?"

    def refused(self) -> ConfirmationRequired:
        """The error it ends with, not confirmed."""
        doing = self._verb[1]
        return ConfirmationRequired(
            f"{self}; pass --yes to go ahead",
            hint=f"nothing changed; to {doing} anyway: {self.command} --yes",
        )


def _taking(count: int) -> str:
    if count == 0:
        return "takes the roles they hold"
    return "takes that role" if count == 1 else "takes those roles"


def refuse_plan(plan: RevocationPlan) -> None:
    """The default answer to a revocation no one confirmed: no (saying what it would do)."""
    raise plan.refused()
