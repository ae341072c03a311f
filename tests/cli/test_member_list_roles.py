"""`member list` tells each role what it can act on: sealing keys (`member seal`) and inviting
again need admin, so only an admin is told to run them; a member who lacks keys is told whom
to ask; a reader or writer is not shown others' missing keys at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import cli, join, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


@pytest.fixture(scope="module")
def team(team_server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """alice (admin, founder) with shop; bob (read on shop, sealed his keys); dan (write on
    shop) and carol (read on shop) joined, never sealed. The homes by name, and ``work``."""
    root = tmp_path_factory.mktemp("roles")
    work = root / "work"
    work.mkdir()
    homes = {name: root / name for name in ("alice", "bob", "dan", "carol")}
    join(team_server, homes["alice"], work, team_server.invite("alice@roles.io"), "alice@roles.io")
    quick_ok(homes["alice"], work, "init", "shop")
    quick_ok(homes["alice"], work, "set", "DB=first", "--env", "staging")
    for name, role in (("bob", "read"), ("dan", "write"), ("carol", "read")):
        email = f"{name}@roles.io"
        code = quick_ok(
            homes["alice"], work, "member", "invite", email, "--role", role, "--project", "shop"
        )
        join(team_server, homes[name], work, code.strip(), email)
    quick_ok(homes["alice"], work, "member", "seal", "bob@roles.io")
    return {**homes, "work": work}


def _list(team: dict[str, Path], who: str) -> tuple[str, str]:
    done = cli(team[who], team["work"], "member", "list")
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def _keys(stdout: str, email: str) -> str:
    """The KEYS cell of ``email``'s row ('' when blank)."""
    (line,) = [line for line in stdout.splitlines() if line.startswith(email)]
    return "missing" if "missing" in line else ""


def test_an_admin_is_told_to_seal_each_member_lacking_keys(team: dict[str, Path]) -> None:
    out, err = _list(team, "alice")

    assert _keys(out, "dan@roles.io") == "missing"
    assert _keys(out, "carol@roles.io") == "missing"
    assert "until an admin seals them the keys: envkeep member seal dan@roles.io\n" in err
    assert "until an admin seals them the keys: envkeep member seal carol@roles.io\n" in err


def test_a_reader_with_its_keys_is_told_no_admin_command_and_sees_no_missing_keys(
    team: dict[str, Path],
) -> None:
    out, err = _list(team, "bob")

    assert "dan@roles.io" in out  # still listed: whom to ask, who signed what
    assert "missing" not in out
    assert "member seal" not in err
    assert "cannot decrypt" not in err


def test_a_writer_lacking_keys_is_told_whom_to_ask_and_nothing_of_others(
    team: dict[str, Path],
) -> None:
    out, err = _list(team, "dan")

    assert _keys(out, "dan@roles.io") == "missing"
    assert _keys(out, "carol@roles.io") == ""
    assert err == (
        "you cannot decrypt what your role opens until an admin seals you the keys:"
        " ask an admin (alice@roles.io) to run: envkeep member seal dan@roles.io\n"
    )


def test_a_reader_lacking_keys_is_told_whom_to_ask(team: dict[str, Path]) -> None:
    out, err = _list(team, "carol")

    assert _keys(out, "dan@roles.io") == ""
    assert "ask an admin (alice@roles.io) to run: envkeep member seal carol@roles.io\n" in err
    assert "dan@roles.io" not in err
