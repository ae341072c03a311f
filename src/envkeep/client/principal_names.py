"""How the CLI names a principal: what `member grant` takes (an email, a token's name) and what
a person reads (an email, or ``token NAME``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.app.views import PrincipalView


def member_name(principal: Mapping[str, Any]) -> str:
    """What `member grant` takes for a principal of `member list`: an email, a token's name."""
    from envkeep.app.principal_labels import token_label

    name = str(principal["name"])
    label = token_label(name) if principal.get("kind") == "service" else None
    return name if label is None else label


def grant_name(principal: PrincipalView) -> str:
    """``member_name`` of a principal view."""
    return member_name({"name": principal.name, "kind": principal.kind})


def shown_principal(principal: PrincipalView) -> str:
    """A principal as a person reads it: an email, or ``token NAME``."""
    return shown_member({"name": principal.name, "kind": principal.kind})


def shown_member(principal: Mapping[str, Any]) -> str:
    """A principal of `member list` as a person reads it: an email, or ``token NAME``."""
    name = member_name(principal)
    return f"token {name}" if principal.get("kind") == "service" else name
