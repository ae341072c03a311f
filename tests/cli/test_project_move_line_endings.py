"""`envkeep project move-to URL` adds ``server =`` and ``workspace =`` to an envkeep.toml
with CRLF line endings (checked out on Windows, committed so) in CRLF too, every other line as
it was: git shows two lines added, not every line changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accounts import Accounts
from .conftest import Envkeep, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


def test_move_to_keeps_a_crlf_envkeep_toml_crlf_with_only_its_two_lines_added(
    tmp_path: Path, team_server: TeamServer
) -> None:
    (tmp_path / "work").mkdir()
    Accounts(team_server).join(tmp_path)
    envkeep = Envkeep(tmp_path, tmp_path / "work")
    quick_ok(envkeep, "init", "shop", "--env", "dev", "--local")
    quick_ok(envkeep, "set", "DB_HOST=db.internal", "--env", "dev")
    toml = envkeep.cwd / "envkeep.toml"
    toml.write_bytes(b"# the shop\r\n" + toml.read_bytes().replace(b"\n", b"\r\n"))
    old = toml.read_bytes().split(b"\r\n")

    quick_ok(envkeep, "project", "move-to", team_server.url)

    new = toml.read_bytes()
    assert new.count(b"\n") == new.count(b"\r\n")
    added = [line for line in new.split(b"\r\n") if line not in old]
    assert [line.split(b" =")[0] for line in added] == [b"server", b"workspace"]
    assert [line for line in new.split(b"\r\n") if line in old] == old
    got = quick_ok(envkeep, "get", "DB_HOST", "--env", "dev", "--reveal")
    assert got.stdout.strip() == "db.internal"
