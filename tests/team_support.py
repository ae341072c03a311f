"""A small team on a real `envkeep server`, built the way the lifecycle and account-reset tests
all start: admin@DOMAIN founds a workspace and project shop (environment prod), and invites
bob@DOMAIN, who joins from a HOME of his own. Each test then does to bob what it is about."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tests.server import TeamServer, join, quick_ok, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass(frozen=True)
class Team:
    """The server, the admin's and bob's HOMEs, the checkout they both work in, and bob's email."""

    server: TeamServer
    admin: Path
    bob: Path
    shop: Path
    bob_email: str


def build_team(
    server: TeamServer,
    root: Path,
    domain: str,
    *,
    bob_role: Literal["read", "admin"] = "read",
    secret: str | None = None,
    seal: bool = False,
) -> Team:
    """The team on ``server``, its HOMEs under ``root``. ``bob_role`` "read" is on project shop,
    "admin" on the workspace. ``secret``: KEY set to it in prod before bob is invited. ``seal``:
    the admin pins bob's key and gives him the environment's key (`member seal`)."""
    admin, bob, shop = root / "admin", root / "bob", root / "shop"
    shop.mkdir()
    join(server, admin, shop, server.invite(f"admin@{domain}"), f"admin@{domain}")
    quick_ok(admin, shop, "init", "shop", "--env", "prod")
    if secret is not None:
        quick_ok(admin, shop, "set", f"KEY={secret}", "--env", "prod", "--yes")
    bob_email = f"bob@{domain}"
    scope = ("--project", "shop") if bob_role == "read" else ()
    code = quick_ok(admin, shop, "member", "invite", bob_email, "--role", bob_role, *scope)
    join(server, bob, shop, code.strip(), bob_email)
    if seal:
        quick_ok(admin, shop, "member", "seal", bob_email)
    return Team(server, admin, bob, shop, bob_email)


@contextlib.contextmanager
def running_team(
    root: Path,
    domain: str,
    *,
    bob_role: Literal["read", "admin"] = "read",
    secret: str | None = None,
    seal: bool = False,
) -> Iterator[Team]:
    """A server started under ``root`` with ``build_team``'s team on it; stopped on leaving."""
    server = start_server(root / "srv")
    try:
        yield build_team(server, root, domain, bob_role=bob_role, secret=secret, seal=seal)
    finally:
        server.stop()
