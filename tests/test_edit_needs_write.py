"""`envkeep edit` on a team server checks the caller's role before the editor opens: a reader
would otherwise edit, save, be refused, and find the text kept in clear for nothing."""

from __future__ import annotations

import sys
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
    yield from server_per_database(request, tmp_path_factory, "edit-role")


# Leaves a mark that it ran, and adds a line to the buffer.
EDITOR = """\
import pathlib, sys
pathlib.Path({mark!r}).touch()
buffer = pathlib.Path(sys.argv[1])
buffer.write_text(buffer.read_text(encoding="utf-8") + "EDITED=yes\\n", encoding="utf-8")
"""


def test_a_reader_is_refused_before_the_editor_opens_and_a_writer_edits(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@edit.io"), "alice@edit.io")
    _ok(alice, work, "init", "shop")
    homes = {}
    for name, role in (("carol", ("read", "--env", "staging")), ("bob", ("write",))):
        code = _ok(alice, work, "member", "invite", f"{name}@edit.io", "--role", role[0],
                   "--project", "shop", *role[1:]).strip()  # fmt: skip
        homes[name] = tmp_path / name
        join(server, homes[name], work, code, f"{name}@edit.io")
        scope = ("--project", "shop", *role[1:])
        _ok(alice, work, "member", "grant", f"{name}@edit.io", role[0], *scope)  # seals keys
    editors = {}
    for name in homes:
        editors[name] = tmp_path / f"{name}-editor.py"
        editors[name].write_text(EDITOR.format(mark=str(tmp_path / f"{name}.ran")))
    edit = ("edit", "--env", "staging")

    def editing(name: str) -> dict[str, str]:
        return {
            "EDITOR": f"{sys.executable} {editors[name]}",
            "ENVKEEP_PASSPHRASE": f"{name} passphrase",
        }

    refused = _cli(homes["carol"], work, *edit, **editing("carol"))
    edited = _cli(homes["bob"], work, *edit, **editing("bob"))

    assert refused.returncode == 4, refused.stderr
    assert (
        "error: you need the write role on environment shop/staging (you have: read there);"
        " the editor was not opened"
    ) in refused.stderr.splitlines(), refused.stderr
    assert (
        "hint: ask an admin of environment shop/staging to grant it (alice@edit.io)"
        in refused.stderr.splitlines()
    ), refused.stderr
    assert not (tmp_path / "carol.ran").exists()
    assert not (homes["carol"] / "recovered").exists()  # no text kept in clear
    assert edited.returncode == 0, edited.stderr
    assert (tmp_path / "bob.ran").exists()
    got = _ok(homes["bob"], work, "get", "EDITED", "--env", "staging",
              ENVKEEP_PASSPHRASE="bob passphrase")  # fmt: skip
    assert got == "yes\n"
