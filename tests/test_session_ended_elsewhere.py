"""A session ended from another device (`session revoke` there, or `account passphrase`, which
ends every other session) logs this machine out the first time the server refuses it, as
`logout` would: its unwrapped keys, offline copies and kept edit buffers go, so `run` has no copy
to fall back on once the server is out of reach, and the refusal says how to log in again. A
wrong passphrase, or a refused service token, deletes nothing of the login."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

EMAIL = "laptop@ended.io"
PASSPHRASE = {"ENVKEEP_PASSPHRASE": "laptop passphrase"}
SECRET = "sk-live-ended-7q"
ECHO = ("sh", "-c", 'echo "value=$STRIPE_KEY"')


class Laptop:
    """A machine logged in to ``server`` that read prod (an offline copy kept) and kept the
    buffer of a failed edit; and a second machine of the same account."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server = server
        self.home, self.other, self.work = root / "laptop", root / "desk", root / "work"
        self.work.mkdir()
        join(server, self.home, self.work, server.invite(EMAIL), EMAIL)
        _ok(self.home, self.work, "init", "shop", "--env", "dev", "--env", "prod")
        _ok(self.home, self.work, "set", f"STRIPE_KEY={SECRET}", "--env", "prod", "--yes")
        assert f"value={SECRET}" in self.run().stdout  # reads prod: keeps an offline copy
        breaks = "sh -c 'echo BROKEN LINE >> \"$0\"'"  # a failed edit keeps its buffer
        failed = _cli(self.home, self.work, "edit", "--env", "dev", EDITOR=breaks, VISUAL=breaks)
        assert failed.returncode == 1, failed.stderr
        [self.kept] = (self.home / "servers").iterdir()
        assert (self.kept / "identity.key").exists()
        assert list((self.kept / "snapshots").rglob("*.json"))
        assert list((self.home / "recovered").iterdir())
        _ok(self.other, self.work, "login", server.url, "--email", EMAIL, **PASSPHRASE)

    def run(self) -> subprocess.CompletedProcess[str]:
        return _cli(self.home, self.work, "run", "--env", "prod", "--", *ECHO)

    def assert_logged_out(self) -> None:
        assert not (self.home / "session.json").exists()
        assert not (self.kept / "identity.key").exists()
        assert not (self.kept / "snapshots").exists()
        assert not any((self.home / "recovered").iterdir())

    def assert_offline_run_serves_nothing(self) -> None:
        self.server.stop()  # the laptop offline, or the server down
        offline = self.run()
        assert offline.returncode == 4, offline.stderr
        assert SECRET not in offline.stdout + offline.stderr
        assert "value=" not in offline.stdout
        assert "using the copy" not in offline.stderr
        assert "you are not logged in there" in offline.stderr


def _ended(url: str) -> list[str]:
    return [
        (
            f"error: your session on {url} was ended (by you or an admin, or by a passphrase"
            " change on another device) or has expired; this machine is logged out: the"
            " account's keys, offline copies and kept edit buffers here are deleted"
        ),
        f"hint: log in again: envkeep login {url} --email {EMAIL}",
    ]


def test_a_session_revoked_from_another_device_logs_this_machine_out(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        laptop = Laptop(server, tmp_path)
        sessions = json.loads(_ok(laptop.other, laptop.work, "session", "list", "--json"))
        [lost] = [s["id"] for s in sessions if not s["current"]]
        _ok(laptop.other, laptop.work, "session", "revoke", lost)

        refused = laptop.run()

        assert refused.returncode == 4, refused.stderr
        assert refused.stderr.splitlines() == _ended(server.url)
        assert SECRET not in refused.stdout
        laptop.assert_logged_out()
        assert _cli(laptop.other, laptop.work, "whoami").returncode == 0  # the desk stays
        laptop.assert_offline_run_serves_nothing()
    finally:
        server.stop()


def test_a_passphrase_changed_on_another_device_logs_this_machine_out(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        laptop = Laptop(server, tmp_path)
        changed = _cli(laptop.other, laptop.work, "account", "passphrase", **PASSPHRASE,
                       ENVKEEP_NEW_PASSPHRASE="a brand new passphrase")  # fmt: skip
        assert changed.returncode == 0, changed.stderr

        refused = _cli(laptop.home, tmp_path, "whoami")

        assert refused.returncode == 4, refused.stderr
        assert refused.stderr.splitlines() == _ended(server.url)
        laptop.assert_logged_out()
        laptop.assert_offline_run_serves_nothing()
    finally:
        server.stop()


def test_a_wrong_passphrase_or_a_refused_token_logs_nothing_out(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        laptop = Laptop(server, tmp_path)
        token = _ok(laptop.home, laptop.work, "token", "create", "ci", "--env", "dev").strip()
        _ok(laptop.home, laptop.work, "token", "revoke", "ci", "--yes")

        wrong = _cli(laptop.home, laptop.work, "account", "passphrase",
                     ENVKEEP_PASSPHRASE="not the passphrase",
                     ENVKEEP_NEW_PASSPHRASE="a brand new passphrase")  # fmt: skip
        by_token = _cli(laptop.home, laptop.work, "run", "--env", "dev", "--", "true",
                        ENVKEEP_TOKEN=token)  # fmt: skip

        assert wrong.returncode == 4, wrong.stderr
        assert "error: the current passphrase is wrong" in wrong.stderr
        assert by_token.returncode == 4, by_token.stderr
        assert "the service-account token (ENVKEEP_TOKEN) was refused" in by_token.stderr
        assert (laptop.home / "session.json").exists()
        assert (laptop.kept / "identity.key").exists()
        assert list((laptop.kept / "snapshots").rglob("*.json"))
        assert list((laptop.home / "recovered").iterdir())
        assert f"value={SECRET}" in laptop.run().stdout
    finally:
        server.stop()


def test_the_problem_says_which_credential_is_no_longer_valid(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        answers = {
            bearer: httpx.get(
                f"{server.url}/v1/whoami", headers={"Authorization": f"Bearer {bearer}"}
            ).json()
            for bearer in ("a-session-that-ended", "ek_sa_" + "1" * 36 + "_" + "A" * 43)
        }
    finally:
        server.stop()

    assert [(a["code"], a.get("credential")) for a in answers.values()] == [
        ("not_authenticated", "session"),
        ("not_authenticated", "token"),
    ]
