"""A mistyped role (`--role wirte`, `member grant bob raed`) says which role it most likely
means, as a mistyped environment or service does; a word that is no role's slip keeps the
list alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def test_a_mistyped_role_is_answered_with_the_role_it_is_close_to(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, "roles exist on a team server only")

    token = envkeep("token", "create", "ci", "--project", "shop", "--role", "wirte")
    invite = envkeep("member", "invite", "carol@example.com", "--role", "raed")
    other = envkeep("member", "invite", "carol@example.com", "--role", "owner")

    assert token.code == 2, token.describe()
    assert token.err_lines[-2:] == [
        "error: unknown role 'wirte'",
        "hint: did you mean 'write'? use admin, write or read",
    ], token.describe()
    assert invite.code == 2, invite.describe()
    assert invite.err_lines[-1] == "hint: did you mean 'read'? use admin, write or read"
    assert other.code == 2, other.describe()
    assert other.err_lines[-2:] == ["error: unknown role 'owner'", "hint: use admin, write or read"]
