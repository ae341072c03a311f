"""Resetting an account again before its person joined (the first code lost, sent to the wrong
place, or leaked): only the newest reset code joins. On a real team server with the real CLI."""

from __future__ import annotations

import sqlite3
import uuid
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join
from tests.server import quick_ok as _ok
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path

BOB = "bob@again.io"


def _reset(admin: Path, shop: Path) -> str:
    said = _ok(admin, shop, "member", "reset", BOB, "--role", "read", "--project", "shop", "--yes")
    return said.splitlines()[0].strip()


def test_a_second_reset_withdraws_the_first_reset_code(tmp_path: Path) -> None:
    with running_team(tmp_path, "again.io") as team:
        server, admin, shop = team.server, team.admin, team.shop

        leaked = _reset(admin, shop)
        fresh = _reset(admin, shop)  # bob never joined with the first: voided, no role
        assert fresh != leaked

        taken = _cli(tmp_path / "holder-of-the-first", shop, "join", server.url, leaked,
                     "--email", BOB, ENVKEEP_PASSPHRASE="someone not bob")  # fmt: skip
        assert taken.returncode == 4, taken.stdout + taken.stderr
        assert "unknown invite code" in taken.stderr
        _ok(tmp_path / "bob-new", shop, "join", server.url, fresh, "--email", BOB,
            ENVKEEP_PASSPHRASE="bob's new passphrase")  # fmt: skip
        assert BOB in _ok(tmp_path / "bob-new", shop, "whoami")


def test_a_reset_code_gives_no_new_keys_to_an_account_holding_a_role_elsewhere(
    tmp_path: Path,
) -> None:
    """A join of another workspace that committed alongside the reset (which checked roles
    before it) leaves the voided account holding a role there: the code must not take it."""
    with running_team(tmp_path, "again.io") as team:
        server, admin, shop = team.server, team.admin, team.shop
        eve, tools = tmp_path / "eve", tmp_path / "tools"
        tools.mkdir()
        join(server, eve, tools, server.invite("eve@other.io"), "eve@other.io")

        reset_code = _reset(admin, shop)
        _bind_elsewhere(server.database.removeprefix("sqlite:///"), BOB, "eve@other.io")

        taken = _cli(tmp_path / "bob-new", shop, "join", server.url, reset_code,
                     "--email", BOB, ENVKEEP_PASSPHRASE="bob's new passphrase")  # fmt: skip
        assert taken.returncode == 4, taken.stdout + taken.stderr
        assert "holds a role in a workspace again" in taken.stderr
        refused = _cli(tmp_path / "bob-new", shop, "login", server.url, "--email", BOB,
                       ENVKEEP_PASSPHRASE="bob's new passphrase")  # fmt: skip
        assert refused.returncode == 4  # the account is still voided: no new passphrase


def _bind_elsewhere(path: str, email: str, owner: str) -> None:
    """``email`` reads the workspace ``owner`` founded, as a concurrent join leaves it."""
    connection = sqlite3.connect(path)
    with connection:
        (principal,) = connection.execute("SELECT id FROM principals WHERE name = ?", (email,))
        (workspace,) = connection.execute(
            "SELECT workspace_id FROM role_bindings JOIN principals ON principals.id ="
            " role_bindings.principal_id WHERE principals.name = ?",
            (owner,),
        )
        connection.execute(
            "INSERT INTO role_bindings (id, principal_id, workspace_id, role, created_at)"
            " VALUES (?, ?, ?, 'read', '2026-12-07 00:00:00')",
            (str(uuid.uuid4()), principal[0], workspace[0]),
        )
    connection.close()
