"""A write command's first request is a read of the environment (its data key, its versions),
which the server refuses for want of the read role: that refusal is told as the write role the
command needs (`client.reading.refused_as_write`, from the problem's ``needed`` member), and a
read command's refusal still names the read role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "write-refusals")


def _refusal(role: str, env: str) -> list[str]:
    where = f"environment shop/{env}"
    return [
        f"error: you need the {role} role on {where} (you have: none there)",
        f"hint: ask an admin of {where} to grant it (alice@refusal.io)",
    ]


def test_a_write_where_nothing_is_held_names_the_write_role(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, carol, work = tmp_path / "alice", tmp_path / "carol", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@refusal.io"), "alice@refusal.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "staging")
    _ok(alice, work, "set", "A=1", "--env", "prod", "--yes")
    code = _ok(alice, work, "member", "invite", "carol@refusal.io", "--role", "read",
               "--project", "shop", "--env", "staging").strip()  # fmt: skip
    join(server, carol, work, code, "carol@refusal.io")
    _ok(alice, work, "member", "grant", "carol@refusal.io", "read", "--project", "shop",
        "--env", "staging")  # fmt: skip
    (work / "more.env").write_text("B=2\n", encoding="utf-8")
    carols = {"ENVKEEP_PASSPHRASE": "carol passphrase"}

    writes = {
        "set": ("set", "B=2", "--env", "prod", "--yes"),
        "unset": ("unset", "A", "--env", "prod", "--yes"),
        "import": ("import", "more.env", "--env", "prod", "--yes"),
        "rollback": ("rollback", "A", "--to", "1", "--env", "prod", "--yes"),
        "promote": ("promote", "--from", "staging", "--to", "prod", "--yes"),
    }
    for command, args in writes.items():
        refused = _cli(carol, work, *args, **carols)
        assert refused.returncode == 4, (command, refused.stderr)
        said = [line for line in refused.stderr.splitlines() if not line.startswith("note:")]
        assert said == _refusal("write", "prod"), (command, refused.stderr)

    for command, args in {
        "get": ("get", "A", "--env", "prod"),
        "promote": ("promote", "--from", "prod", "--to", "staging", "--yes"),
    }.items():
        refused = _cli(carol, work, *args, **carols)
        assert refused.returncode == 4, (command, refused.stderr)
        said = [line for line in refused.stderr.splitlines() if not line.startswith("note:")]
        assert said == _refusal("read", "prod"), (command, refused.stderr)

    # Where the read role is held, the server's own refusal of the write stands.
    refused = _cli(carol, work, "set", "B=2", "--env", "staging", **carols)
    assert refused.returncode == 4, refused.stderr
    assert (
        "error: you need the write role on environment shop/staging (you have: read there)"
        in refused.stderr.splitlines()
    ), refused.stderr


def test_a_refusal_of_an_admins_change_names_the_environment_or_the_project(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, carol, work = tmp_path / "alice", tmp_path / "carol", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@named.io"), "alice@named.io")
    _ok(alice, work, "init", "shop", "--env", "staging")
    code = _ok(alice, work, "member", "invite", "carol@named.io", "--role", "read",
               "--project", "shop", "--env", "staging").strip()  # fmt: skip
    join(server, carol, work, code, "carol@named.io")

    protect = _cli(carol, work, "env", "edit", "staging", "--protect")
    add = _cli(carol, work, "service", "add", "api", "--path", ".")

    assert (protect.returncode, protect.stderr.splitlines()) == (
        4,
        [
            "error: you need the admin role on environment shop/staging (you have: read there)",
            "hint: ask an admin of environment shop/staging to grant it (alice@named.io)",
        ],
    )
    assert (add.returncode, add.stderr.splitlines()) == (
        4,
        [
            "error: you need the admin role on project shop (you have: none there)",
            "hint: ask an admin of project shop to grant it (alice@named.io)",
        ],
    )


def test_init_in_a_clone_names_the_project_whose_services_it_could_not_register(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, dave, work = tmp_path / "alice", tmp_path / "dave", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@clone.io"), "alice@clone.io")
    _ok(alice, work, "init", "shop", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "dave@clone.io", "--role", "write",
               "--project", "shop").strip()  # fmt: skip
    join(server, dave, work, code, "dave@clone.io")
    toml = work / "envkeep.toml"
    toml.write_text(toml.read_text() + '\n[services.api]\npath = "."\n')

    done = _cli(dave, work, "init")

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "warning: envkeep.toml declares services project 'shop' lacks here: api; a project"
        " admin registers them with: envkeep init"
    )
