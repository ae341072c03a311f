"""A reader trusts the keys it pinned, not the ones the server hands out: a server that swaps
an author's keys and signs values of its own making under them is refused, where the reader
used to show its values (DESIGN §4 Trust: pinned on first use, loud on change)."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from typing import TYPE_CHECKING

import pytest

from envkeep import crypto
from envkeep.core.errors import IntegrityError
from tests.forgery import Forgery, forge_environment
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FORGED = "FORGED-BY-THE-SERVER"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("signer-pins"))
    yield running
    running.stop()


def _forge(
    database: str, author_email: str, reader_email: str, *, new_account: bool = False
) -> str:
    """What a compromised server can do with public data alone: give the author new keys of
    its own (or, ``new_account``, make up an account of its own under the author's name),
    seal a data key of its own to the reader as if the author had shared it, and sign new
    values with it under the author's name. Returns the new keys' fingerprint."""
    db = sqlite3.connect(database.removeprefix("sqlite:///"))
    with db:
        ids = dict(db.execute("SELECT name, id FROM principals"))
        author, reader = ids[author_email], ids[reader_email]
        env_id, key_version = db.execute(  # staging of the author's own workspace
            "SELECT e.id, e.key_version FROM environments e"
            " JOIN projects p ON p.id = e.project_id"
            " JOIN role_bindings b ON b.workspace_id = p.workspace_id"
            " WHERE e.name = 'staging' AND b.principal_id = ?",
            (author,),
        ).fetchone()
        if new_account:
            db.execute("UPDATE principals SET name = 'moved-' || name WHERE id = ?", (author,))
            author = str(uuid.uuid4())
            db.execute(
                "INSERT INTO principals (id, kind, name, encryption_public, signing_public,"
                " created_at) VALUES (?, 'user', ?, x'00', x'00', '2026-01-01 00:00:00')",
                (author, author_email),
            )
        reader_public = crypto.PublicKeys(
            *db.execute(
                "SELECT encryption_public, signing_public FROM principals WHERE id = ?", (reader,)
            ).fetchone()
        )
        forger = crypto.generate_keys()
        public = forger.public()
        db.execute(
            "UPDATE principals SET encryption_public = ?, signing_public = ? WHERE id = ?",
            (public.encryption, public.signing, author),
        )
        forgery = Forgery(env_id, key_version, reader, reader_public, author, forger)
        forge_environment(db, forgery, FORGED, lambda _number: "DB")
    db.close()
    return public.fingerprint()


def _author_and_reader(server: TeamServer, root: Path, author: str, reader: str) -> Path:
    """``author`` makes project shop with DB in staging and grants ``reader`` read on it; the
    checkout (homes: ``root / <name>``, the part of the email before '@')."""
    writer, work = root / author.partition("@")[0], root / "work"
    work.mkdir()
    _join(server, writer, work, server.invite(author), author)
    _ok(writer, work, "init", "shop")
    _ok(writer, work, "set", "DB=genuine", "--env", "staging")
    code = _ok(writer, work, "member", "invite", reader, "--role", "read", "--project", "shop")
    _join(server, root / reader.partition("@")[0], work, code.strip(), reader)
    _ok(writer, work, "member", "grant", reader, "read", "--project", "shop")
    return work


def test_a_reader_refuses_values_signed_under_keys_the_server_swapped_in(
    server: TeamServer, tmp_path: Path
) -> None:
    work, bob = (
        _author_and_reader(server, tmp_path, "alice@pins.io", "bob@pins.io"),
        tmp_path / "bob",
    )
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "genuine\n"  # alice's key pinned

    forged_fingerprint = _forge(server.database, "alice@pins.io", "bob@pins.io")

    commands = [["get", "DB"], ["export"], ["history", "DB"], ["run", "--env", "staging"]]
    for command in commands:
        argv = [*command, "--", "sh", "-c", "echo $DB"] if command[0] == "run" else command
        refused = _cli(bob, work, *argv, *(["--env", "staging"] * (command[0] != "run")))
        assert refused.returncode == IntegrityError.exit_code, (command, refused.stderr)
        assert "the public key of alice@pins.io CHANGED" in refused.stderr, command
        assert forged_fingerprint in refused.stderr
        assert FORGED not in refused.stdout + refused.stderr


def test_a_signer_seen_for_the_first_time_is_pinned_by_reading(
    server: TeamServer, tmp_path: Path
) -> None:
    work = _author_and_reader(server, tmp_path, "carol@pins.io", "dave@pins.io")

    assert _ok(tmp_path / "dave", work, "get", "DB", "--env", "staging") == "genuine\n"

    pins = json.loads((tmp_path / "dave" / "known_keys.json").read_text(encoding="utf-8"))
    carol = pins[f"{server.url}|name|carol@pins.io"]
    assert set(pins) == {f"{server.url}|{carol}", f"{server.url}|name|carol@pins.io"}  # not dave
    again = _cli(tmp_path / "dave", work, "get", "DB", "--env", "staging")
    assert "first values signed by" not in again.stderr  # the note comes once


def test_an_account_the_server_makes_up_under_a_known_name_is_refused(
    server: TeamServer, tmp_path: Path
) -> None:
    work = _author_and_reader(server, tmp_path, "gina@pins.io", "hal@pins.io")
    hal = tmp_path / "hal"
    first = _cli(hal, work, "get", "DB", "--env", "staging")
    assert first.returncode == 0, first.stderr
    assert "note: first values signed by gina@pins.io read here" in first.stderr

    _forge(server.database, "gina@pins.io", "hal@pins.io", new_account=True)

    refused = _cli(hal, work, "get", "DB", "--env", "staging")
    assert refused.returncode == IntegrityError.exit_code, refused.stderr
    assert "gina@pins.io signs with an account this machine has not seen" in refused.stderr
    assert FORGED not in refused.stdout + refused.stderr


def test_a_reader_who_is_no_admin_verifies_the_signers_it_pinned(
    server: TeamServer, tmp_path: Path
) -> None:
    work = _author_and_reader(server, tmp_path, "erin@pins.io", "frank@pins.io")
    frank = tmp_path / "frank"
    told = _ok(tmp_path / "erin", work, "whoami", "--fingerprint").split()[-8:]
    unknown = _cli(frank, work, "member", "verify", "erin@pins.io", "--fingerprint", " ".join(told))
    assert unknown.returncode == 4  # not pinned yet, and no admin to look names up
    _ok(frank, work, "get", "DB", "--env", "staging")  # reading pins erin, author and sharer

    verified = _cli(frank, work, "member", "verify", "ERIN@pins.io", "--fingerprint", "".join(told))

    assert verified.returncode == 0, verified.stderr
    # the read pinned that very key: said so, not "pinned" as if something changed
    assert "was pinned here already; nothing changed" in verified.stderr, verified.stderr
    wrong = _cli(frank, work, "member", "verify", "erin@pins.io", "--fingerprint", "0" * 32)
    assert wrong.returncode == IntegrityError.exit_code, wrong.stderr
    pinned = " ".join(told)  # what the read pinned, and the server presents still
    error, hint = wrong.stderr.strip().splitlines()
    assert error == (
        "error: the key the server presents for erin@pins.io, the one pinned on this machine,"
        f" does NOT match the fingerprint you gave (pinned on this machine: {pinned}; shown by"
        f" the server now: {pinned}; you gave: {' '.join(['0000'] * 8)}); nothing was changed"
    )
    assert hint.startswith("hint: ask them again what 'envkeep whoami --fingerprint' shows")
    assert "if it is still not the pinned one, that key is not theirs" in hint


def _principal_lookups(server: TeamServer, since: int) -> int:
    """How many ``GET /v1/principals/{id}`` requests the server logged after byte ``since``
    of its log (waiting briefly for the lines of the last turn of its event loop)."""
    deadline = time.monotonic() + 5
    while True:
        lines = server.log.read_bytes()[since:].decode().splitlines()
        found = [
            line
            for line in lines
            if line.startswith("{")
            and json.loads(line).get("route") == "/v1/principals/{principal_id}"
        ]
        if found or time.monotonic() > deadline:
            return len(found)
        time.sleep(0.05)


def test_a_pinned_member_is_verified_with_one_lookup_whatever_else_is_pinned(
    server: TeamServer, tmp_path: Path
) -> None:
    work = _author_and_reader(server, tmp_path, "ivan@pins.io", "judy@pins.io")
    judy = tmp_path / "judy"
    told = _ok(tmp_path / "ivan", work, "whoami", "--fingerprint").split()[-8:]
    _ok(judy, work, "get", "DB", "--env", "staging")  # pins ivan
    path = judy / "known_keys.json"
    pins = json.loads(path.read_text(encoding="utf-8"))
    others = {f"{server.url}|{uuid.uuid4()}": "0" * 32 for _ in range(5)}  # pinned before ivan
    path.write_text(json.dumps(others | pins), encoding="utf-8")
    since = server.log.stat().st_size

    verified = _cli(judy, work, "member", "verify", "ivan@pins.io", "--fingerprint", " ".join(told))

    assert verified.returncode == 0, verified.stderr
    assert _principal_lookups(server, since) == 1
