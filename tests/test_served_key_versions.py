"""A key version a server's answer cannot hold is refused as an altered answer, naming the
variable and what to do, not "you hold no key" (exit 4), which sent the reader to ask an admin
for a key they do not need (and could advise re-creating the environment); the altered answer
pins nothing, so the true one reads after it. A reader a real key was not sealed to is still
told it holds no key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from envkeep.store.engine import open_engine
from envkeep.store.models import Environment, Project, Secret, SecretVersion
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("served-key-versions"))
    yield running
    running.stop()


def _alice_with_a_variable(server: TeamServer, tmp_path: Path, email: str) -> tuple[Path, Path]:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite(email), email)
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "PAYMENT_KEY=sk_live", "--env", "dev")
    assert _ok(alice, work, "get", "PAYMENT_KEY", "--env", "dev") == "sk_live\n"
    return alice, work


def _served(server: TeamServer, home: Path, *, environment: int, versions: int | None) -> None:
    """The store of shop/dev of ``home``'s workspace altered: its current key version
    ``environment``, and every version's ``versions`` (None: as they were)."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        workspace = json.loads((home / "session.json").read_text())["workspace_id"]
        env_id = session.scalars(
            select(Environment.id)
            .join(Project, Project.id == Environment.project_id)
            .where(Project.workspace_id == workspace, Environment.name == "dev")
        ).one()
        if versions is not None:
            secrets = select(Secret.id).where(Secret.environment_id == env_id)
            session.execute(
                update(SecretVersion)
                .where(SecretVersion.secret_id.in_(secrets))
                .values(key_version=versions)
            )
        session.execute(
            update(Environment)
            .where(Environment.id == env_id)
            .values(key_version=environment, revision=Environment.revision + 1)
        )
    engine.dispose()


@pytest.mark.parametrize(
    ("versions", "why"),
    [
        (
            None,
            (
                "it is under key v1, and no variable is under the environment's current key v7"
                " (a rotation writes each under its new key)"
            ),
        ),
        (7, "its signature does not verify under key v7"),
    ],
)
def test_an_environment_served_under_a_key_version_it_never_had_is_an_altered_answer(
    server: TeamServer, tmp_path: Path, versions: int | None, why: str
) -> None:
    email = f"alice-{versions}@served.io".lower()  # stored as such
    alice, work = _alice_with_a_variable(server, tmp_path, email)
    _served(server, alice, environment=7, versions=versions)

    refused = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")

    assert refused.returncode == 1, refused.stderr
    said = refused.stderr
    assert "you hold no key" not in said
    assert "envkeep member seal" not in said
    assert "env delete" not in said
    assert "the server answered environment shop/dev with key version 7" in said
    assert f"(shared, version 1, written by {email}): {why}; nothing was read" in said
    assert "no admin needs to seal you a key" in said
    assert f"envkeep audit --env dev --project shop --principal {email}" in said
    # The altered answer pinned nothing: the true one reads again.
    _served(server, alice, environment=1, versions=1)
    assert _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev").stdout == "sk_live\n"


def test_a_version_under_key_zero_is_named_as_damaged_for_a_key_no_environment_has(
    server: TeamServer, tmp_path: Path
) -> None:
    email = "alice-zero@served.io"
    alice, work = _alice_with_a_variable(server, tmp_path, email)
    _served(server, alice, environment=1, versions=0)

    refused = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")

    assert refused.returncode == 1, refused.stderr
    assert "1 variable of shop/dev cannot be read" in refused.stderr
    assert "its version names key v0, which no environment has" in refused.stderr


def test_a_reader_no_key_was_sealed_to_is_still_told_it_holds_no_key(
    server: TeamServer, tmp_path: Path
) -> None:
    email = "alice-unsealed@served.io"
    alice, work = _alice_with_a_variable(server, tmp_path, email)
    bob = tmp_path / "bob"
    code = _ok(
        alice, work, "member", "invite", "bob@served.io", "--role", "read", "--project", "shop"
    )
    join(server, bob, work, code.strip(), "bob@served.io")  # joined, never sealed a key

    refused = _cli(bob, work, "get", "PAYMENT_KEY", "--env", "dev")

    assert refused.returncode == 4, refused.stderr
    assert "you hold no key for environment shop/dev" in refused.stderr
    assert "cannot have" not in refused.stderr
