"""Roles of one principal that overlap, as `member list` shows them (DESIGN §5: the effective
role on a target is the highest binding that covers it), and what that means for a change of
one of them: a grant that a broader role already gives as much as changes nothing while that
one stands (`shadowing`), and a revocation after which another role still reaches the scope
cuts no access there, so the server rotates no key there either (`still_reached`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.client._seen_roles import WS, Scope, binding_of, held_words, scope_of, where
from envkeep.core.wording import spoken_list

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence


def _target(scope: Scope) -> Target:
    return Target(WS, *scope)


def bindings_of(members: Iterable[Mapping[str, Any]], principal_id: str) -> list[Binding]:
    """The roles one principal holds, from `member list`'s rows."""
    return [binding_of(dict(m)) for m in members if m["principal"]["id"] == principal_id]


def shadowing(held: Sequence[Binding], wanted: Role, scope: Scope) -> list[Binding]:
    """The roles in ``held`` at a broader scope than ``scope`` that cover it with ``wanted``
    or more: while one stands, a grant of ``wanted`` at ``scope`` changes nothing."""
    return [
        b for b in held if scope_of(b) != scope and covers(b, _target(scope)) and b.role >= wanted
    ]


def shadow_warning(who: str, wanted: Role, scope: Scope, broader: Sequence[Binding]) -> str:
    """``warning: bob@x.io already holds write on shop, which covers shop/prod; this read
    grant changes nothing while that one stands``."""
    one = len(broader) == 1
    roles = spoken_list([held_words(b) for b in broader])
    return (
        f"warning: {who} already holds {roles}, which {'covers' if one else 'cover'}"
        f" {where(scope)}; this {wanted} grant changes nothing while"
        f" {'that one stands' if one else 'those stand'}"
    )


@dataclass(frozen=True)
class StillReached:
    """Part of a revoked scope (``reached``) that another role of the principal (``through``)
    still covers: its keys need no rotation to cut an access that goes on."""

    reached: Scope
    through: Binding

    def said(self, who: str, rotated: Sequence[str]) -> str:
        """``bob@x.io still reaches shop/prod through write on shop, so its key was not
        rotated`` (what was ``rotated``, project/env, there: said only when none was)."""
        line = f"{who} still reaches {where(self.reached)} through {held_words(self.through)}"
        if any(_within(name, self.reached) for name in rotated):
            return line
        if self.reached[1] is not None:
            return f"{line}, so its key was not rotated"
        return f"{line}, so no key there was rotated"


def still_reached(kept: Iterable[Binding], revoked: Scope) -> list[StillReached]:
    """Where the roles ``kept`` still reach into the ``revoked`` scope: all of it through a
    broader role, or a narrower role's own scope within it."""
    found = []
    for binding in kept:
        if covers(binding, _target(revoked)):
            found.append(StillReached(revoked, binding))
        elif covers(Binding(binding.role, WS, *revoked), _target(scope_of(binding))):
            found.append(StillReached(scope_of(binding), binding))
    return found


def _within(name: str, scope: Scope) -> bool:
    """Whether ``name`` (``shop/dev``, or ``shop/dev (deleted since)``) lies in ``scope``."""
    project, _, environment = name.split(" ", maxsplit=1)[0].partition("/")
    return covers(Binding(Role.READ, WS, *scope), Target(WS, project, environment))
