"""The refused-default hint is a line to paste into a shell (``export ENVKEEP_ENV=staging``),
and the environment name in it comes from the server's listing: a hostile server's name
(``st$(id)``) was printed bare, so pasting the hint ran what the server chose."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session

from envkeep.store.engine import open_engine
from envkeep.store.models import Environment
from tests.server import cli, join, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

HOSTILE = "st$(touch pwned)"


def test_the_refused_default_hint_quotes_the_environment_name_the_server_gave(
    team_server: TeamServer, tmp_path: Path
) -> None:
    admin, reader, work = tmp_path / "admin", tmp_path / "reader", tmp_path / "work"
    work.mkdir()
    join(team_server, admin, work, team_server.invite("ada@envquote.io"), "ada@envquote.io")
    quick_ok(admin, work, "init", "shop", "--env", "dev", "--env", "staging")
    invited = ("member", "invite", "rex@envquote.io", "--role", "read")
    code = quick_ok(admin, work, *invited, "--project", "shop", "--env", "staging")
    join(team_server, reader, work, code.strip(), "rex@envquote.io")
    quick_ok(admin, work, "member", "seal", "rex@envquote.io")
    engine = open_engine(team_server.database)  # the server renames it, as a hostile one would
    with Session(engine) as session, session.begin():
        session.execute(
            update(Environment).where(Environment.name == "staging").values(name=HOSTILE)
        )
    engine.dispose()

    refused = cli(reader, work, "get", "LOG_LEVEL", ENVKEEP_PASSPHRASE="rex passphrase")

    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.splitlines()[-1] == (
        "hint: pass one you can read: --env 'st$(touch pwned)', or for every command:"
        " export ENVKEEP_ENV='st$(touch pwned)'"
    ), refused.stderr
