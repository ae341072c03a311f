"""A reset by an admin who cannot rotate every key (`member reset --revoke-now`, an emergency:
the laptop was stolen and the admin at hand was never sealed the keys) still prints the code:
the reset is done on the server, and the code is the person's only way back onto the account.
Real server, real CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

BOB = "bob@rotleft.io"


def test_a_reset_that_leaves_rotations_still_prints_its_code_and_names_them(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        admin, second, bob, shop = (tmp_path / n for n in ("admin", "second", "bob", "shop"))
        shop.mkdir()
        join(server, admin, shop, server.invite("admin@rotleft.io"), "admin@rotleft.io")
        _ok(admin, shop, "init", "shop", "--env", "prod")
        _ok(admin, shop, "set", "KEY=value", "--env", "prod", "--yes")
        code = _ok(admin, shop, "member", "invite", BOB, "--role", "read").strip()
        join(server, bob, shop, code, BOB)
        _ok(admin, shop, "member", "seal", BOB)
        code = _ok(admin, shop, "member", "invite", "second@rotleft.io", "--role", "admin")
        join(server, second, shop, code.strip(), "second@rotleft.io")  # never sealed the keys

        done = _cli(second, shop, "member", "reset", BOB, "--role", "read", "--revoke-now",
                    "--yes")  # fmt: skip
        said = done.stdout + done.stderr
        assert done.returncode != 0, said  # a rotation is left: the command says so
        assert "shop/prod" in said or "--env prod" in said, said
        reset_code = done.stdout.splitlines()[0].strip() if done.stdout else ""
        assert reset_code.startswith("ek_inv_"), said
        _ok(tmp_path / "bob-new", shop, "join", server.url, reset_code, "--email", BOB,
            ENVKEEP_PASSPHRASE="bob's new passphrase")  # fmt: skip
    finally:
        server.stop()
