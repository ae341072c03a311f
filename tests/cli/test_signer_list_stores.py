"""ENVKEEP_SIGNERS on either store: a malformed or empty value stops every command that reads
or writes values, on the embedded store as on a team server (it used to be ignored there),
warm `run` included; on the embedded store, whose values this identity signs, the list is
applied as on a server: a value signed by another key (the store's file altered) is refused."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from typing import TYPE_CHECKING

import pytest

from envkeep import crypto
from envkeep.core.errors import IntegrityError, UsageError
from tests.forgery import Forgery, forge_environment

from .conftest import local_only, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

CUT_SHORT = "341a 626b 0c1d"
COMMANDS = (
    ("get", "PORT", "--env", "dev"),
    ("export", "--env", "dev"),
    ("history", "PORT", "--env", "dev"),
    ("set", "NEW=1", "--env", "dev"),
    ("run", "--env", "dev", "--", "sh", "-c", "echo $PORT"),
)
FORGED = "FORGED-IN-THE-STORE-FILE"


@pytest.mark.parametrize("listed", [CUT_SHORT, "", " , "])
def test_a_malformed_or_empty_list_is_refused_on_either_store(
    envkeep: Envkeep, seeded: Path, listed: str
) -> None:
    for command in COMMANDS:
        refused = envkeep(*command, env={"ENVKEEP_SIGNERS": listed})

        assert refused.code == UsageError.exit_code, (command, refused.describe())
        assert "ENVKEEP_SIGNERS" in refused.stderr, command
        assert "3000" not in refused.stdout, command
    assert envkeep("get", "NEW", "--env", "dev").code != 0  # `set` wrote nothing


def test_a_warm_run_refuses_a_malformed_list_too(envkeep: Envkeep, seeded: Path) -> None:
    run = ("run", "--env", "dev", "--", "sh", "-c", "echo $PORT")
    assert envkeep.ok(*run).stdout == "3000\n"
    assert envkeep.ok(*run).stdout == "3000\n"  # warm, on the embedded store

    refused = envkeep(*run, env={"ENVKEEP_SIGNERS": CUT_SHORT})

    assert refused.code == UsageError.exit_code, refused.describe()
    assert f"ENVKEEP_SIGNERS: '{CUT_SHORT}' is not a key fingerprint" in refused.stderr
    assert refused.stdout == ""


def test_the_reader_itself_needs_no_listing_on_either_store(envkeep: Envkeep, seeded: Path) -> None:
    listed = {"ENVKEEP_SIGNERS": "0" * 32}

    assert envkeep.ok("get", "PORT", "--env", "dev", env=listed).stdout == "3000\n"
    assert envkeep.ok("set", "NEW=1", "--env", "dev", env=listed)
    assert envkeep.ok("get", "NEW", "--env", "dev", env=listed).stdout == "1\n"


def _forge_embedded(database: Path) -> str:
    """What one who can write the embedded store's file, but not read this identity's private
    key, can do: add an account of their own, seal dev a data key of theirs to this identity
    as if that account had shared it, and sign dev's values with it. Returns its fingerprint."""
    with closing(sqlite3.connect(database)) as db, db:
        reader, encryption, signing = db.execute(
            "SELECT id, encryption_public, signing_public FROM principals"
        ).fetchone()
        env_id, key_version = db.execute(
            "SELECT id, key_version FROM environments WHERE name = 'dev'"
        ).fetchone()
        forger, author = crypto.generate_keys(), str(uuid.uuid4())
        public = forger.public()
        db.execute(
            "INSERT INTO principals (id, kind, name, encryption_public, signing_public,"
            " created_at) VALUES (?, 'user', 'mallory', ?, ?, '2026-01-01 00:00:00')",
            (author, public.encryption, public.signing),
        )
        reader_public = crypto.PublicKeys(encryption, signing)
        forgery = Forgery(env_id, key_version, reader, reader_public, author, forger)
        forge_environment(db, forgery, FORGED, lambda n: "DB" if n == 0 else f"DB_{n}")
    return public.fingerprint()


def test_on_the_embedded_store_a_value_signed_by_another_key_is_refused_with_a_list(
    envkeep: Envkeep, seeded: Path, homes: Homes
) -> None:
    local_only(homes, "the embedded store's file, altered")
    forged = _forge_embedded(envkeep.settings().database_path)
    assert FORGED in quick_ok(envkeep, "get", "DB", "--env", "dev").stdout  # as before, unset

    for command in (("get", "DB", "--env", "dev"), ("run", "--env", "dev", "--", "env")):
        refused = envkeep(*command, env={"ENVKEEP_SIGNERS": "0" * 32})

        assert refused.code == IntegrityError.exit_code, (command, refused.describe())
        assert "mallory signed what the embedded store holds with a key" in refused.stderr
        assert forged in refused.stderr
        assert FORGED not in refused.stdout + refused.stderr
