"""Roles that overlap, on a real team server (DESIGN §5: the effective role is the highest
binding that covers the target). A grant at or below what a broader role already gives warns,
naming that role, still binds (it applies once the broader one goes) and counts only the key
shares it stored; a revocation after which the principal still reaches an environment through
another role rotates no key there (rotating cuts no one off) and says so, while one whose
cascade ends a token that read it still rotates it; `member remove` rotates everything."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("overlapping"))
    yield running
    running.stop()


SHOP = ("--project", "shop")
PROD = ("--project", "shop", "--env", "prod")


class Shop:
    """Alice administers the workspace and project shop (dev, staging, prod, a value in
    each); Bob, a member, holds ``role`` on the whole of shop."""

    def __init__(self, server: TeamServer, root: Path, tag: str, role: str = "write") -> None:
        self.alice, self.bob, self.work = root / "alice", root / "bob", root / "work"
        self.work.mkdir()
        self.bob_email = f"bob@{tag}.io"
        join(server, self.alice, self.work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
        self.a("init", "shop")
        for env in ("dev", "staging", "prod"):
            self.a("set", f"DB=in-{env}", "--env", env)
        code = self.a("member", "invite", self.bob_email, "--role", role, *SHOP).strip()
        join(server, self.bob, self.work, code, self.bob_email)
        self.a("member", "grant", self.bob_email, role, *SHOP)

    def a(self, *args: str) -> str:
        return _ok(self.alice, self.work, *args)

    def keys(self) -> dict[str, int]:
        """Each environment's data key version."""
        listed = json.loads(self.a("env", "list", "--json"))
        return {e["name"]: e["key_version"] for e in listed}

    def bobs_roles(self) -> set[str]:
        return {
            f"{m['role']}@{m['project']}/{m['environment']}"
            for m in json.loads(self.a("member", "list", "--json"))
            if m.get("principal", {}).get("name") == self.bob_email
        }

    def bob_reads(self, env: str) -> bool:
        done = _cli(self.bob, self.work, "get", "DB", "--env", env)
        return done.returncode == 0 and done.stdout == f"in-{env}\n"


def test_a_grant_a_broader_role_already_covers_warns_binds_and_shares_no_key(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "shadowed")

    granted = _cli(shop.alice, shop.work, "member", "grant", shop.bob_email, "read", *PROD)

    assert granted.returncode == 0, granted.stderr
    warning = (
        f"warning: {shop.bob_email} already holds write on shop, which covers shop/prod; this"
        " read grant changes nothing while that one stands"
    )
    assert warning in granted.stderr, granted.stderr
    assert (
        f"{shop.bob_email} now holds read on shop/prod; 0 environment keys shared with them"
        in granted.stderr
    ), granted.stderr
    assert shop.bobs_roles() == {"write@shop/None", "read@shop/prod"}  # bound all the same


def test_a_grant_above_a_broader_role_warns_nothing_and_counts_the_shares_it_stored(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "raised", role="read")

    granted = _cli(shop.alice, shop.work, "member", "grant", shop.bob_email, "write", *PROD)

    assert granted.returncode == 0, granted.stderr
    assert "warning" not in granted.stderr, granted.stderr
    assert "0 environment keys shared with them" in granted.stderr, granted.stderr  # held it


def test_revoking_a_role_a_broader_one_covers_rotates_no_key_and_says_access_stays(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "kept")
    shop.a("member", "grant", shop.bob_email, "read", *PROD)
    before = shop.keys()

    revoked = _cli(shop.alice, shop.work, "member", "revoke", "--yes", shop.bob_email, *PROD)

    assert revoked.returncode == 0, revoked.stderr
    assert (
        f"revoked {shop.bob_email}'s read on shop/prod; new keys for: no environment"
        in revoked.stderr
    ), revoked.stderr
    assert (
        f"{shop.bob_email} still reaches shop/prod through write on shop, so its key was not"
        " rotated" in revoked.stderr
    ), revoked.stderr
    assert shop.keys() == before
    assert shop.bob_reads("prod")
    assert shop.bobs_roles() == {"write@shop/None"}
    assert all(e["former_key_holders"] == 0 for e in json.loads(shop.a("env", "list", "--json")))


def test_revoking_the_broader_role_rotates_only_the_environments_the_principal_loses(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "narrowed")
    shop.a("member", "grant", shop.bob_email, "read", *PROD)
    before = shop.keys()

    revoked = _cli(shop.alice, shop.work, "member", "revoke", "--yes", shop.bob_email, *SHOP)

    assert revoked.returncode == 0, revoked.stderr
    assert "new keys for: shop/dev, shop/staging" in revoked.stderr, revoked.stderr
    kept = f"{shop.bob_email} still reaches shop/prod through read on shop/prod"
    assert kept in revoked.stderr, revoked.stderr
    after = shop.keys()
    assert after == {**before, "dev": before["dev"] + 1, "staging": before["staging"] + 1}
    assert shop.bob_reads("prod")
    assert not shop.bob_reads("dev")


def test_a_revoke_that_ends_a_token_reading_there_rotates_it_though_its_maker_keeps_access(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "cascade", role="read")
    shop.a("member", "grant", shop.bob_email, "write", *PROD)
    _ok(shop.bob, shop.work, "token", "create", "bob-deploy", "--role", "write", *PROD)
    before = shop.keys()

    revoked = _cli(shop.alice, shop.work, "member", "revoke", "--yes", shop.bob_email, *PROD)

    assert revoked.returncode == 0, revoked.stderr
    assert "revoked 1 token that depended on their roles (bob-deploy)" in revoked.stderr
    assert "new keys for: shop/prod" in revoked.stderr, revoked.stderr
    assert "so its key was not rotated" not in revoked.stderr, revoked.stderr
    assert shop.keys() == {**before, "prod": before["prod"] + 1}
    assert shop.bob_reads("prod")  # through read on shop: sealed the new key


def test_a_keyless_admin_may_revoke_a_role_whose_revocation_rotates_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "keyless")
    carol = tmp_path / "carol"
    code = shop.a("member", "invite", "carol@keyless.io", "--role", "admin").strip()
    join(server, carol, shop.work, code, "carol@keyless.io")  # admin, never sealed a key
    shop.a("member", "grant", shop.bob_email, "read", *PROD)

    revoked = _cli(carol, shop.work, "member", "revoke", "--yes", shop.bob_email, *PROD)

    assert revoked.returncode == 0, revoked.stderr
    assert "new keys for: no environment" in revoked.stderr, revoked.stderr
    assert shop.bobs_roles() == {"write@shop/None"}


def test_removing_a_member_rotates_every_key_they_reached_whatever_overlaps(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "removed")
    shop.a("member", "grant", shop.bob_email, "read", *PROD)
    before = shop.keys()

    removed = _cli(shop.alice, shop.work, "member", "remove", shop.bob_email, "--yes")

    assert removed.returncode == 0, removed.stderr
    assert "new keys for: shop/dev, shop/prod, shop/staging" in removed.stderr, removed.stderr
    assert shop.keys() == {env: version + 1 for env, version in before.items()}
    assert not shop.bob_reads("prod")


def test_revoking_a_role_says_what_it_takes_and_asks_first(
    server: TeamServer, tmp_path: Path
) -> None:
    shop = Shop(server, tmp_path, "asked")
    before = shop.keys()

    asked = _cli(shop.alice, shop.work, "member", "revoke", shop.bob_email, *SHOP)

    assert asked.returncode == 2, asked.stderr
    assert f"{shop.bob_email} holds write on shop; revoking it takes that role" in asked.stderr
    assert "rotates the keys of shop/dev, shop/prod, shop/staging" in asked.stderr
    command = f"envkeep member revoke {shop.bob_email} --project shop --yes"
    assert command in asked.stderr, asked.stderr
    assert shop.keys() == before
    assert shop.bobs_roles() == {"write@shop/None"}  # nothing changed
