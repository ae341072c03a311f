"""What `member remove` and `token revoke` are about to do, said before they do it: the roles
they take, the tokens that end with them and the environments whose keys are rotated after it.

Both act at once and cannot be undone (a removed member is invited again; a revoked token is
made again, with a new secret to hand out), so, as a grant that lowers a role does
(`revocation_preview.Lowering`), each asks on a terminal and, off one, goes ahead only with
--yes: the refusal says what it would have done. Withdrawing invites asks nothing (it takes no
access and rotates no key). The forecast is `_seen_roles`'s; the server decides for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    @classmethod
    def of(
        cls,
        forecast: Forecast,
        command: str,
        may_rotate: Callable[[str, str], bool] | None = None,
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
        )

    @property
    def _token(self) -> bool:
        return self.who.startswith("token ")

    def __str__(self) -> str:
        """``bob@x.io holds write on shop; removing them takes that role, revokes token ci and
        rotates the keys of shop/dev, shop/prod``."""
        holds = f"{self.who} holds {spoken_list(self.held) if self.held else 'no role'}"
        does = ["ends it"] if self._token else [_taking(len(self.held))]
        if self.tokens:
            kind = "token" if len(self.tokens) == 1 else "tokens"
            does.append(f"revokes {kind} {', '.join(self.tokens)}")
        if self.rotated:
            does.append(f"rotates the keys of {', '.join(self.rotated)}")
        if self.left:
            does.append(f"leaves the keys of {', '.join(self.left)} for an admin to rotate")
        doing = "revoking it" if self._token else "removing them"
        return f"{holds}; {doing} {spoken_list(does)}"

    def question(self) -> str:
        """What a terminal is asked."""
        return f"{self}. {'Revoke it' if self._token else 'Remove them'}?"

    def refused(self) -> ConfirmationRequired:
        """The error it ends with, not confirmed."""
        doing = "revoke it" if self._token else "remove them"
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
