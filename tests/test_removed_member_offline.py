"""A member removed from a workspace keeps no offline copy of it: the first refusal for holding
no role there (the problem's ``scope`` is "workspace") deletes the copies of every environment
of that workspace, not only of the one the request named, so `run` has none to serve once the
server is out of reach. Copies of the member's other workspaces stay, and `whoami` says which
workspace in use the account holds no role in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

SECRETS = {"dev": "dev-value-r8", "prod": "prod-value-r8"}
OWN = "own-value-r8"


def _kept_workspaces(home: Path) -> list[str]:
    """The workspace of each environment a copy is kept of, one per environment."""
    found = []
    for folder in sorted(home.rglob("snapshots/*")):
        copy = json.loads(next(folder.glob("*.json")).read_text())
        found.append(copy["snapshot"]["project"]["workspace_id"])
    return found


def test_a_removed_member_keeps_no_offline_copy_of_the_workspace(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    admin, bob = tmp_path / "admin", tmp_path / "bob"
    shop, tools = tmp_path / "shop", tmp_path / "tools"
    shop.mkdir()
    tools.mkdir()
    try:
        join(server, admin, shop, server.invite("admin@removed.io"), "admin@removed.io")
        _ok(admin, shop, "init", "shop", "--env", "dev", "--env", "prod")
        for env, value in SECRETS.items():
            _ok(admin, shop, "set", f"KEY={value}", "--env", env, "--yes")
        code = _ok(admin, shop, "member", "invite", "bob@removed.io", "--role", "read",
                   "--project", "shop").strip()  # fmt: skip
        join(server, bob, shop, code, "bob@removed.io")
        _ok(admin, shop, "member", "grant", "bob@removed.io", "read", "--project", "shop")
        _ok(bob, tools, "workspace", "create", "bobs")
        _ok(bob, tools, "workspace", "use", "bobs")
        _ok(bob, tools, "init", "tools", "--env", "dev")
        _ok(bob, tools, "set", f"KEY={OWN}", "--env", "dev")
        for env in SECRETS:  # reads keep offline copies
            _ok(bob, shop, "get", "KEY", "--env", env)
        _ok(bob, tools, "get", "KEY", "--env", "dev")
        shops = json.loads(_ok(admin, shop, "whoami", "--json"))["workspace_id"]
        bobs = json.loads(_ok(bob, tools, "whoami", "--json"))["workspace_id"]
        assert sorted(_kept_workspaces(bob)) == sorted([shops, shops, bobs])
        _ok(admin, shop, "member", "remove", "bob@removed.io", "--yes")

        refused = _cli(bob, shop, "get", "KEY", "--env", "dev")
        who = _cli(bob, shop, "whoami")

        assert refused.returncode == 4, refused.stderr
        assert "error: you have no role in this workspace" in refused.stderr
        assert _kept_workspaces(bob) == [bobs]  # prod's copy went too; bobs' stays
        assert who.returncode == 0, who.stderr
        assert (
            f"warning: you hold no role in workspace {shops}, which is in use here (removed from"
            " it, or never granted one)"
        ) in who.stderr
    finally:
        server.stop()  # bob offline, or the server down

    for env, value in SECRETS.items():
        offline = _cli(bob, shop, "run", "--env", env, "--", "sh", "-c", 'echo "key=$KEY"')
        assert offline.returncode == 5, offline.stderr  # unreachable, and no copy stands in
        assert value not in offline.stdout + offline.stderr
        assert "using the copy" not in offline.stderr
    own = _cli(bob, tools, "run", "--env", "dev", "--", "sh", "-c", 'echo "key=$KEY"')
    assert own.returncode == 0, own.stderr
    assert own.stdout == f"key={OWN}\n"
    assert "warning: server unreachable; using the copy fetched" in own.stderr
