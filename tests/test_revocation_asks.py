"""`member remove` and `token revoke` say what they will do and ask first, on a real team server:
off a terminal, without --yes, each is refused with the roles it takes, the tokens it revokes
and the keys it rotates, and nothing changes; with --yes it acts as before; on a terminal it
asks, and a "no" changes nothing. Withdrawing invites (someone who never joined) asks nothing:
it takes no access and rotates no key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.terminal import on_terminal

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("revocation-asks"))
    yield running
    running.stop()


SHOP = ("--project", "shop")
DEV = ("--project", "shop", "--env", "dev")


class Team:
    """Alice administers the workspace and project shop (dev, staging, prod); Bob holds write
    on shop and read on shop/dev, and made token bob-ci (read on shop/dev); Alice made token
    ci (read on shop/dev)."""

    def __init__(self, server: TeamServer, root: Path, tag: str) -> None:
        self.alice, self.bob, self.work = root / "alice", root / "bob", root / "work"
        self.work.mkdir()
        self.bob_email = f"bob@{tag}.io"
        join(server, self.alice, self.work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
        self.a("init", "shop")
        code = self.a("member", "invite", self.bob_email, "--role", "write", *SHOP).strip()
        join(server, self.bob, self.work, code, self.bob_email)
        self.a("member", "grant", self.bob_email, "write", *SHOP)
        self.a("member", "grant", self.bob_email, "read", *DEV)
        _ok(self.bob, self.work, "token", "create", "bob-ci", "--role", "read", *DEV)
        self.a("token", "create", "ci", "--role", "read", *DEV)

    def a(self, *args: str) -> str:
        return _ok(self.alice, self.work, *args)

    def state(self) -> tuple[list[str], dict[str, bool], dict[str, int]]:
        """(the names of those holding a role, each token's revoked flag, each environment's
        key version)."""
        listed = json.loads(self.a("member", "list", "--json"))
        members = sorted(
            {m["principal"]["name"] for m in listed if m.get("principal", {}).get("kind") == "user"}
        )
        revoked = {t["label"]: t["revoked"] for t in json.loads(self.a("token", "list", "--json"))}
        keys = {e["name"]: e["key_version"] for e in json.loads(self.a("env", "list", "--json"))}
        return members, revoked, keys


def test_member_remove_without_yes_says_what_it_would_do_and_changes_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "rm-refused")
    before = team.state()

    refused = _cli(team.alice, team.work, "member", "remove", team.bob_email)

    assert refused.returncode == 2, refused.stderr
    said = (
        f"error: {team.bob_email} holds write on shop and read on shop/dev; removing them"
        " takes those roles, revokes token bob-ci and rotates the keys of shop/dev, shop/prod,"
        " shop/staging; pass --yes to go ahead"
    )
    assert said in refused.stderr, refused.stderr
    hint = f"nothing changed; to remove them anyway: envkeep member remove {team.bob_email} --yes"
    assert hint in refused.stderr, refused.stderr
    assert team.state() == before

    removed = _cli(team.alice, team.work, "member", "remove", team.bob_email, "--yes")

    assert removed.returncode == 0, removed.stderr
    assert "new keys for: shop/dev, shop/prod, shop/staging" in removed.stderr, removed.stderr
    members, revoked, _keys = team.state()
    assert team.bob_email not in members
    assert revoked == {"bob-ci": True, "ci": False}


def test_token_revoke_without_yes_says_what_it_would_do_and_changes_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "tok-refused")
    before = team.state()

    refused = _cli(team.alice, team.work, "token", "revoke", "ci")

    assert refused.returncode == 2, refused.stderr
    said = (
        "error: token ci holds read on shop/dev; revoking it ends it and rotates the keys of"
        " shop/dev; pass --yes to go ahead"
    )
    assert said in refused.stderr, refused.stderr
    hint = "nothing changed; to revoke it anyway: envkeep token revoke ci --yes"
    assert hint in refused.stderr, refused.stderr
    assert team.state() == before

    revoked = _cli(team.alice, team.work, "token", "revoke", "ci", "--yes")

    assert revoked.returncode == 0, revoked.stderr
    assert "revoked 'ci'; new keys for: shop/dev" in revoked.stderr, revoked.stderr
    assert team.state()[1] == {"bob-ci": False, "ci": True}


def test_refusals_that_need_no_question_come_before_it(server: TeamServer, tmp_path: Path) -> None:
    team = Team(server, tmp_path, "no-question")
    team.a("token", "revoke", "ci", "--yes")

    again = _cli(team.alice, team.work, "token", "revoke", "ci")
    unknown = _cli(team.alice, team.work, "token", "revoke", "nope")
    nobody = _cli(team.alice, team.work, "member", "remove", "carol@no-question.io")

    assert again.returncode == 1, again.stderr
    assert "token 'ci' is revoked already; nothing changed" in again.stderr, again.stderr
    for refused in (unknown, nobody):
        assert refused.returncode != 0, refused.stderr
        assert "--yes" not in refused.stderr, refused.stderr


def test_withdrawing_an_invite_asks_nothing(server: TeamServer, tmp_path: Path) -> None:
    team = Team(server, tmp_path, "withdraw")
    team.a("member", "invite", "dan@withdraw.io", "--role", "read", *SHOP)

    withdrawn = _cli(team.alice, team.work, "member", "remove", "dan@withdraw.io")

    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "withdrew the invite for dan@withdraw.io" in withdrawn.stderr, withdrawn.stderr


def _on_terminal(home: Path, cwd: Path, args: tuple[str, ...], answer: str) -> tuple[int, str]:
    """`envkeep ARGS` on a pseudo-terminal, ``answer`` typed at its question."""
    return on_terminal(home, cwd, args, {"[y/N]:": answer})


def test_on_a_terminal_each_asks_and_a_no_changes_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "terminal")
    before = team.state()

    no_code, no_said = _on_terminal(
        team.alice, team.work, ("member", "remove", team.bob_email), "n"
    )
    yes_code, yes_said = _on_terminal(team.alice, team.work, ("token", "revoke", "ci"), "y")

    assert no_code == 1, no_said
    assert "revokes token bob-ci and rotates the keys of shop/dev" in no_said, no_said
    assert "Remove them? [y/N]:" in no_said, no_said
    assert yes_code == 0, yes_said
    asked = "revoking it ends it and rotates the keys of shop/dev. Revoke it? [y/N]:"
    assert asked in yes_said, yes_said
    assert "revoked 'ci'; new keys for: shop/dev" in yes_said, yes_said
    members, revoked, _keys = team.state()
    assert members == before[0]
    assert revoked == {"bob-ci": False, "ci": True}
