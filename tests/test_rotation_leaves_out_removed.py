"""The rotation after `member remove` seals the new data key to no one the removal took out,
even when the server still lists them as a reader (an honest server drops such a share; one
that kept it would hand the new key to whom the revocation took it from), and says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import envkeep.client.key_rotation as rotation
from envkeep.client import new_keys
from tests.inprocess import run_main
from tests.server import _environ, join, quick_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend
    from envkeep.client.write_plans import WriteTarget


def test_a_removed_member_the_server_still_lists_is_sealed_no_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_server(tmp_path / "server")
    try:
        work, alice, bob = tmp_path / "work", tmp_path / "alice", tmp_path / "bob"
        work.mkdir()
        join(server, alice, work, server.invite("alice@rotate.io"), "alice@rotate.io")
        quick_ok(alice, work, "init", "shop")
        quick_ok(alice, work, "set", "K=v1", "--env", "prod")
        code = quick_ok(
            alice, work, "member", "invite", "bob@rotate.io", "--role", "read", "--env", "prod"
        )
        join(server, bob, work, code.strip(), "bob@rotate.io")
        quick_ok(alice, work, "member", "seal", "bob@rotate.io")
        before = {r["name"]: r for r in honest_readers(alice, work)}
        assert "bob@rotate.io" in before
        sealed_to = _listed_still(monkeypatch, before["bob@rotate.io"])
        code_, _out, err = run_main(
            ("member", "remove", "bob@rotate.io", "--yes"), _environ(alice), work
        )

        assert code_ == 0, err
        assert "new keys for:" in err
        assert "shop/prod" in err
        assert sealed_to
        assert before["bob@rotate.io"]["id"] not in sealed_to
        assert "lists whom the revocation removed as a reader of shop/prod" in err
    finally:
        server.stop()


def _listed_still(monkeypatch: pytest.MonkeyPatch, reader: dict[str, Any]) -> list[str]:
    """Make the server list ``reader`` among every environment's readers still (as a server
    that kept one the revocation removed would), and record whom the rotation seals a new key
    to, by id: the list returned fills as it does."""
    honest = rotation.environment_readers
    honest_seal = new_keys.sealed_share
    sealed_to: list[str] = []

    def stale(backend: HttpBackend, project: str, environment: str) -> list[dict[str, Any]]:
        found = honest(backend, project, environment)
        return [*(r for r in found if r["id"] != reader["id"]), reader]

    def recording(
        ctx: ClientContext, principal: dict[str, Any], target: WriteTarget, what: str
    ) -> dict[str, object]:
        sealed_to.append(principal["id"])
        return honest_seal(ctx, principal, target, what)

    monkeypatch.setattr(rotation, "environment_readers", stale)
    monkeypatch.setattr(new_keys, "sealed_share", recording)
    return sealed_to


def honest_readers(home: Path, work: Path) -> list[dict[str, Any]]:
    """Who the server lists as readers of shop/prod now, read as the rotation reads it."""
    from envkeep.cli.state import make_context
    from envkeep.client.team_server import team_backend
    from envkeep.settings import load_settings

    env = _environ(home)
    ctx = make_context(load_settings(env), cwd=work)
    try:
        found: list[dict[str, Any]] = rotation.environment_readers(
            team_backend(ctx), "shop", "prod"
        )
    finally:
        ctx.close()
    return found


@pytest.mark.parametrize("ending", ["token revoke", "member remove"])
def test_a_token_that_ended_is_sealed_no_new_key_whatever_the_server_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    """A token revoked (or ended with the member who made it) that the server still lists
    as a reader is sealed no key of the rotation that follows."""
    server = start_server(tmp_path / "server")
    try:
        work, alice, bob = tmp_path / "work", tmp_path / "alice", tmp_path / "bob"
        work.mkdir()
        join(server, alice, work, server.invite("alice@ended.io"), "alice@ended.io")
        quick_ok(alice, work, "init", "shop")
        quick_ok(alice, work, "set", "K=v1", "--env", "prod")
        token_scope = ("--project", "shop", "--env", "prod")
        if ending == "member remove":
            code = quick_ok(
                alice, work, "member", "invite", "bob@ended.io", "--role", "admin", "-p", "shop"
            )
            join(server, bob, work, code.strip(), "bob@ended.io")
            quick_ok(alice, work, "member", "seal", "bob@ended.io")
            quick_ok(bob, work, "token", "create", "bobs-ci", *token_scope)
            command: tuple[str, ...] = ("member", "remove", "bob@ended.io", "--yes")
        else:
            quick_ok(alice, work, "token", "create", "leaked", *token_scope)
            command = ("token", "revoke", "leaked", "--yes")
        token = next(r for r in honest_readers(alice, work) if r["kind"] == "service")
        sealed_to = _listed_still(monkeypatch, token)
        code_, _out, err = run_main(command, _environ(alice), work)

        assert code_ == 0, err
        assert sealed_to
        assert token["id"] not in sealed_to
        assert "lists whom the revocation removed as a reader of shop/prod" in err
    finally:
        server.stop()
