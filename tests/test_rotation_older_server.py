"""A revocation whose rotation leaves a reader out, sent to a server older than `left_out`.

The revocation has cut the access when the rotation is sent; a server from before the field
refuses the body that names whom it leaves out (422, as its pydantic model refuses an unknown
field). The user is told so plainly: the server is older than this client, whom the new key
was to leave out, and what to do (upgrade it, or trust their keys and rotate again), not
"invalid request: body.left_out"."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.store.engine import open_engine
from envkeep.store.models import Principal
from tests.hostile_server import Handler, forward, reply, serving
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("older-left-out"))
    yield running
    running.stop()


def _older_than_left_out(target: str):  # type: ignore[no-untyped-def]
    """A proxy to ``target`` that answers a rotation naming `left_out` as a server from before
    the field does: the real server's own 422 for an unknown field, under that field's name."""

    def answer(handler: Handler, body: bytes) -> None:
        if handler.command == "POST" and handler.path.endswith("/rotate"):
            sent = json.loads(body)
            if "left_out" in sent:
                sent["left_out_unknown"] = sent.pop("left_out")
                status, headers, said = forward(target, handler, json.dumps(sent).encode())
                assert status == 422, said
                reply(handler, 422, headers, said.replace(b"left_out_unknown", b"left_out"))
                return
        reply(handler, *forward(target, handler, body))

    return answer


def test_a_rotation_leaving_out_a_reader_refused_by_an_older_server_says_so_and_what_to_do(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, dan, mal, work = (tmp_path / n for n in ("alice", "dan", "mal", "work"))
    work.mkdir()
    with serving(_older_than_left_out(server.url)) as (proxy, seen):
        older = TeamServer(proxy, server.database, server.log, server.process)
        join(older, alice, work, server.invite("alice@old.io"), "alice@old.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=first", "--env", "dev")
        for home, email in ((dan, "dan@old.io"), (mal, "mal@old.io")):
            code = _ok(
                alice, work, "member", "invite", email, "--role", "read", "--project", "shop"
            )
            join(older, home, work, code.strip(), email)
            _ok(alice, work, "member", "seal", email)
        (alice / "invites.json").unlink()  # only Dan's pin speaks for his key
        engine = open_engine(server.database)
        with Session(engine) as session, session.begin():  # his key, otherwise than pinned
            row = session.scalars(select(Principal).where(Principal.name == "dan@old.io")).one()
            row.encryption_public = crypto.generate_keys().public().encryption
        engine.dispose()

        removed = _cli(alice, work, "member", "remove", "mal@old.io", "--yes")
        rotated = _cli(alice, work, "env", "rotate-key", "dev")

    assert any(path.endswith("/rotate") for method, path in seen if method == "POST")
    assert removed.returncode != 0
    said = removed.stderr
    assert "invalid request" not in said
    assert "the access is revoked, but these keys were not rotated" in said
    assert "the server is older than this envkeep" in said
    assert "refused a new key of shop/dev that leaves out dan@old.io" in said
    assert "upgrade the server (then envkeep server migrate)" in said
    assert "envkeep member verify dan@old.io --fingerprint FINGERPRINT" in said
    assert said.count("upgrade the server") == 1  # said once for the three environments
    assert "envkeep env rotate-key dev --project shop; envkeep env rotate-key prod" in said
    # Asked for on its own, the rotation says the same, exit 5 as an older server's answers.
    assert rotated.returncode == 5, rotated.stderr
    assert "refused a new key of shop/dev that leaves out dan@old.io" in rotated.stderr
    assert "then rotate the key again" in rotated.stderr
