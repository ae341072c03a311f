"""A service-account token's secret never reaches the server (DESIGN §4): the server is sent a
key derived from it, from which the key that wraps the token's private keys cannot be derived.
So a server holding its whole database and every credential it was sent cannot open what the
token reads. A token made before this (its secret sent whole) still works, with a warning to
rotate it."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.api.encoding import b64e
from envkeep.client import token_keys
from envkeep.client.token_keys import parse_token, wrap_key
from envkeep.core.errors import WrongPassphrase
from envkeep.store.engine import open_engine
from envkeep.store.models import Principal, SessionToken
from tests.inprocess import run_main
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("token-secret"))
    yield running
    running.stop()


def _team(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    """Alice's home and checkout: project shop, one secret in prod."""
    home, work = root / "alice", root / "work"
    work.mkdir()
    join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    _ok(home, work, "set", "STRIPE_SECRET=sk_live_KEPT", "--env", "prod")
    return home, work


def _get(server: TeamServer, root: Path, token: str) -> tuple[int, str, str]:
    done = _cli(
        root / "ci",
        root,
        "get",
        "STRIPE_SECRET",
        "--env",
        "prod",
        ENVKEEP_TOKEN=token,
        ENVKEEP_SERVER=server.url,
        ENVKEEP_PROJECT="shop",
    )
    return done.returncode, done.stdout, done.stderr


def _stored_hash(server: TeamServer, principal_id: str) -> tuple[str, bytes]:
    """(token hash, wrapped private keys) the server keeps for a service account."""
    engine = open_engine(server.database)
    try:
        with Session(engine) as session:
            account = session.get(Principal, principal_id)
            assert account is not None
            [stored] = session.scalars(
                select(SessionToken.token_hash).where(SessionToken.principal_id == principal_id)
            )
            return str(stored), bytes(account.wrapped_private_keys or b"")
    finally:
        engine.dispose()


def _secret_of(credential: str) -> bytes:
    """The secret part of an ``ek_sa_<id>_<secret>`` credential, as a server would cut it."""
    return parse_token(credential).secret


def test_the_server_gets_a_derived_key_that_opens_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _team(server, tmp_path, "alice@kept.io")
    made = _ok(home, work, "token", "create", "ci", "--project", "shop", "--env", "prod")
    token = made.strip().splitlines()[0]
    assert token.startswith("ek_sa_v2_")

    code, out, err = _get(server, tmp_path, token)
    assert (code, out) == (0, "sk_live_KEPT\n"), err
    assert "older than 0.2" not in err

    parsed = parse_token(token)
    bearer = parsed.bearer
    stored, wrapped = _stored_hash(server, parsed.principal_id)
    # What the server authenticates is the derived credential, never the token itself.
    assert stored == hashlib.sha256(bearer.encode()).hexdigest()
    assert stored != hashlib.sha256(token.encode()).hexdigest()
    assert b64e(parsed.secret) not in bearer
    # Its secret part unwraps nothing; the token's own secret does (only its holder has it).
    with pytest.raises(WrongPassphrase):
        crypto.unwrap_private_keys(wrapped, wrap_key(_secret_of(bearer)))
    keys = crypto.unwrap_private_keys(wrapped, wrap_key(parsed.secret))
    assert keys.public().signing
    # The token itself, sent as a server used to get it, is refused: nothing accepts it.
    legacy_bearer = f"ek_sa_{parsed.principal_id}_{b64e(parsed.secret)}"
    code, _out, err = _get(server, tmp_path, legacy_bearer)
    assert code == 4, err


def test_a_token_from_before_still_works_and_says_to_rotate_it(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _team(server, tmp_path, "alice@legacy.io")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_")} | {
        "ENVKEEP_HOME": str(home),
        "ENVKEEP_KEYRING": "off",
        "CI": "1",
    }
    with pytest.MonkeyPatch.context() as patch:
        # The client as it was: no v2 mark, and the secret itself is the credential.
        patch.setattr(token_keys, "_V2", "")
        patch.setattr(token_keys, "auth_key", lambda secret: secret)
        code, out, err = run_main(
            ("token", "create", "old", "--project", "shop", "--env", "prod"), environ, work
        )
    assert code == 0, err
    token = out.strip().splitlines()[0]
    assert not token.startswith("ek_sa_v2_")
    assert not parse_token(token).v2

    code, out, err = _get(server, tmp_path, token)
    assert (code, out) == (0, "sk_live_KEPT\n"), err
    assert "older than 0.2" in err
    assert "envkeep token rotate NAME" in err

    # Rotated, it is a v2 token, and says nothing more.
    rotated = _ok(home, work, "token", "rotate", "old")
    new = next(line for line in rotated.splitlines() if line.startswith("ek_sa_"))
    assert new.startswith("ek_sa_v2_")
    code, out, err = _get(server, tmp_path, new)
    assert (code, out) == (0, "sk_live_KEPT\n"), err
    assert "older than 0.2" not in err
