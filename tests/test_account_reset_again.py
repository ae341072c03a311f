"""Resetting an account again before its person joined (the first code lost, sent to the wrong
place, or leaked): only the newest reset code joins. On a real team server with the real CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

BOB = "bob@again.io"


def _reset(admin: Path, shop: Path) -> str:
    said = _ok(admin, shop, "member", "reset", BOB, "--role", "read", "--project", "shop", "--yes")
    return said.splitlines()[0].strip()


def test_a_second_reset_withdraws_the_first_reset_code(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        admin, bob, shop = tmp_path / "admin", tmp_path / "bob", tmp_path / "shop"
        shop.mkdir()
        join(server, admin, shop, server.invite("admin@again.io"), "admin@again.io")
        _ok(admin, shop, "init", "shop", "--env", "prod")
        code = _ok(admin, shop, "member", "invite", BOB, "--role", "read",
                   "--project", "shop").strip()  # fmt: skip
        join(server, bob, shop, code, BOB)

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
    finally:
        server.stop()
