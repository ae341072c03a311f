"""A member who reads staging alone, refused the project's default environment (dev) because
no --env was given, is told the variable that chooses staging for every command (Doppler's
`doppler setup`, what a team moving from it looks for), and following the hint works."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli, join, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


def test_a_refused_default_environment_hints_the_variable_that_chooses_the_readable_one(
    team_server: TeamServer, tmp_path: Path
) -> None:
    admin, reader, work = tmp_path / "admin", tmp_path / "reader", tmp_path / "work"
    work.mkdir()
    join(team_server, admin, work, team_server.invite("ada@envhint.io"), "ada@envhint.io")
    quick_ok(admin, work, "init", "shop", "--env", "dev", "--env", "staging")
    quick_ok(admin, work, "set", "LOG_LEVEL=warn", "--env", "staging")
    invited = ("member", "invite", "rex@envhint.io", "--role", "read")
    code = quick_ok(admin, work, *invited, "--project", "shop", "--env", "staging")
    join(team_server, reader, work, code.strip(), "rex@envhint.io")
    quick_ok(admin, work, "member", "seal", "rex@envhint.io")
    passphrase = "rex passphrase"

    refused = cli(reader, work, "get", "LOG_LEVEL", ENVKEEP_PASSPHRASE=passphrase)
    chosen = cli(
        reader, work, "get", "LOG_LEVEL", ENVKEEP_PASSPHRASE=passphrase, ENVKEEP_ENV="staging"
    )

    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.splitlines()[-1] == (
        "hint: pass one you can read: --env staging, or for every command:"
        " export ENVKEEP_ENV=staging"
    ), refused.stderr
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == "warn\n"
