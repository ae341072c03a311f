"""A secret is read where its version was signed: the snapshot lists each secret's id and scope
beside its current version's, and only the version's are in what the author signed. A server
that listed a shared value under a service's scope, or under another secret's id, had it read
there, and a key rotation signed it there anew."""

from __future__ import annotations

import dataclasses
from contextlib import closing
from typing import TYPE_CHECKING

import pytest

from envkeep.cli.state import make_context
from envkeep.client.vault import OpenEnvironment
from envkeep.settings import load_settings
from tests.server import _environ
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("listed", ["scope", "id"])
def test_a_secret_listed_elsewhere_than_signed_is_damaged(tmp_path: Path, listed: str) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    extra = {"ENVKEEP_PASSPHRASE": "listed passphrase"}
    _ok(home, work, "init", "shop", **extra)
    _ok(home, work, "service", "add", "api", **extra)
    _ok(home, work, "set", "A=shared-value", "--env", "dev", **extra)
    with closing(make_context(load_settings(_environ(home, **extra)), cwd=work)) as ctx:
        snapshot = ctx.backend.read_environment("shop", "dev", None)
        identity = ctx.identity
    (secret,) = snapshot.secrets
    moved = (
        dataclasses.replace(secret, scope=f"service:{snapshot.services[0].id}")
        if listed == "scope"
        else dataclasses.replace(secret, id="another-secret")
    )

    opened = OpenEnvironment(dataclasses.replace(snapshot, secrets=(moved,)), identity)

    assert opened.variables() == []
    (damaged,) = opened.damaged
    assert not damaged.readable
    assert "not the one its version was signed for" in damaged.reason
