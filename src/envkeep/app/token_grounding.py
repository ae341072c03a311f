"""Which tokens live on the rights they were given (`token_cascade`'s rule), worked out from
roles alone: pure, so that the server (ending the others) and a client (forecasting which a
change would end) share it without a database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.policy import Binding, Target, effective_role

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


# A role a token holds, and who gave it (its creator, or the admin of a later `member grant`).
GivenRole = tuple[Binding, str]


def grounded(
    people: Mapping[str, Sequence[Binding]],
    tokens: Mapping[str, tuple[str, Sequence[GivenRole]]],
) -> set[str]:
    """The tokens that live on (`token_cascade`'s docstring), of ``tokens`` (each: its creator
    and the roles it holds, each with its giver), given ``people``'s roles: grown from people
    up, so that a cycle of tokens vouching for each other rests on nothing. The server ends the
    others (`token_cascade.end_uncovered_tokens`), a client forecasts which a change would end."""
    held: dict[str, Sequence[Binding]] = dict(people)
    live: set[str] = set()
    grew = True
    while grew:
        grew = False
        for token, (creator, given) in tokens.items():
            if token in live or not held.get(creator):
                continue
            if all(_covers(held.get(giver, ()), binding) for binding, giver in given):
                live.add(token)
                if given:
                    held[token] = [binding for binding, _giver in given]
                grew = True
    return live


def _covers(giver: Sequence[Binding], binding: Binding) -> bool:
    """Whether a giver's roles hold at least ``binding``'s role over its scope now."""
    target = Target(binding.workspace_id, binding.project_id, binding.environment_id)
    role = effective_role(list(giver), target)
    return role is not None and role >= binding.role
