"""Accounts and sessions against a real server, as a team walks them: weak passphrases, a second
account joining over a first, a URL copied with its API prefix, an ended session `whoami` must
notice, a logout the server never heard of, names kept out of not-found errors."""

from __future__ import annotations

import base64
import getpass
import json
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("accounts"))
    yield running
    running.stop()


def _joined(server: TeamServer, home: Path, work: Path, email: str) -> None:
    code = server.invite(email)
    _ok(home, work, "join", server.url, code, "--email", email, ENVKEEP_PASSPHRASE=PASSPHRASE)


def _in_project(server: TeamServer, tmp_path: Path, email: str) -> tuple[Path, Path]:
    """(home, checkout) of an account ``email`` that made project ``shop`` there."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    _joined(server, home, work, email)
    _ok(home, work, "init", "shop")  # envkeep.toml pins shop to the workspace in use now
    return home, work


def test_join_holds_a_passphrase_from_the_environment_to_the_floor(
    server: TeamServer, tmp_path: Path
) -> None:
    code = server.invite("short@guard.io")

    refused = _cli(
        tmp_path, tmp_path, "join", server.url, code, "--email", "short@guard.io",
        ENVKEEP_PASSPHRASE="abc",
    )  # fmt: skip

    assert refused.returncode == 2, refused.stderr
    assert "at least 8 characters" in refused.stderr
    joined = _cli(
        tmp_path, tmp_path, "join", server.url, code, "--email", "short@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert joined.returncode == 0, joined.stderr  # the code was not used up by the refusal


def test_joining_as_another_account_does_not_replace_the_login_here(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _joined(server, home, tmp_path, "first@guard.io")
    code = server.invite("second@guard.io")

    refused = _cli(
        home, tmp_path, "join", server.url, code, "--email", "second@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip

    assert refused.returncode == 2
    assert "logged in to" in refused.stderr
    assert "first@guard.io" in refused.stderr
    assert '"first@guard.io"' in _ok(home, tmp_path, "whoami", "--json")


def test_a_url_copied_with_the_api_prefix_and_a_bad_server_variable(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _joined(server, home, tmp_path, "url@guard.io")
    _ok(home, tmp_path, "logout")

    _ok(home, tmp_path, "login", f"{server.url}/v1/", "--email", "url@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip

    assert f'"server": "{server.url}"' in _ok(home, tmp_path, "whoami", "--json")
    wrong = _cli(home, tmp_path, "list", "--env", "dev", ENVKEEP_SERVER="notaurl")
    assert wrong.returncode == 2
    assert "'notaurl' is not a server URL (ENVKEEP_SERVER)" in wrong.stderr


def test_whoami_asks_the_server_and_names_the_workspace(server: TeamServer, tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    _joined(server, home, tmp_path, "who@guard.io")
    _ok(home, tmp_path, "workspace", "create", "who-space")
    _ok(home, tmp_path, "workspace", "use", "who-space")
    assert "workspace: who-space" in _ok(home, tmp_path, "whoami")
    _ok(other, tmp_path, "login", server.url, "--email", "who@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    sessions = _ok(other, tmp_path, "session", "list", "--json")
    first = next(s for s in json.loads(sessions) if not s["current"])
    assert {s["created_from"] for s in json.loads(sessions)} == {"127.0.0.1"}
    assert "FROM" in _ok(other, tmp_path, "session", "list").splitlines()[0]

    _ok(other, tmp_path, "session", "revoke", first["id"])

    ended = _cli(home, tmp_path, "whoami")
    assert ended.returncode == 4, ended.stdout + ended.stderr  # not "logged in" any more


def test_whoami_in_a_checkout_pinned_to_another_workspace_names_both(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "pinned@guard.io")
    first = json.loads(_ok(home, work, "whoami", "--json"))
    _ok(home, work, "workspace", "create", "elsewhere")
    _ok(home, work, "workspace", "use", "elsewhere")

    shown = json.loads(_ok(home, work, "whoami", "--json"))
    outside = json.loads(_ok(home, tmp_path, "whoami", "--json"))

    assert shown["workspace"] == "elsewhere"
    assert shown["workspace_here"] == f"{first['workspace']} (envkeep.toml's, for this project)"
    assert "workspace_here" not in outside
    assert "workspace_here" not in first


def test_env_alone_names_an_environment_of_the_checkouts_project(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "scoped@guard.io")

    _ok(home, work, "token", "create", "ci-dev", "--env", "dev")
    outside = _cli(home, tmp_path, "token", "create", "ci-other", "--env", "dev")

    [token] = json.loads(_ok(home, work, "token", "list", "--json"))
    assert (token["label"], token["project"], token["environment"]) == ("ci-dev", "shop", "dev")
    assert outside.returncode == 2, outside.stderr  # no checkout: the project must be named
    assert "pass --project too" in outside.stderr


def test_a_token_name_is_one_word(server: TeamServer, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _joined(server, home, tmp_path, "namer@guard.io")

    refused = _cli(home, tmp_path, "token", "create", "bad name!")

    assert refused.returncode == 2, refused.stderr
    assert "'bad name!' is not a token name: letters, digits" in refused.stderr
    assert json.loads(_ok(home, tmp_path, "token", "list", "--json")) == []
    _ok(home, tmp_path, "token", "create", "ci.deploy_2-x")


def test_a_session_is_revoked_by_the_start_of_its_id(server: TeamServer, tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other"
    _joined(server, home, tmp_path, "prefix@guard.io")
    _ok(other, tmp_path, "login", server.url, "--email", "prefix@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    sessions = json.loads(_ok(other, tmp_path, "session", "list", "--json"))
    first = next(s["id"] for s in sessions if not s["current"])
    too_short = _cli(other, tmp_path, "session", "revoke", first[:3])
    unknown = _cli(other, tmp_path, "session", "revoke", "ffffffff-no")
    assert too_short.returncode == 2, too_short.stderr
    assert unknown.returncode == 1, unknown.stderr  # not found
    assert _cli(home, tmp_path, "whoami").returncode == 0  # neither ended anything

    done = _cli(other, tmp_path, "session", "revoke", first[:8])

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"session {first} ended\n"  # another machine's: this one stays
    assert _cli(home, tmp_path, "whoami").returncode == 4
    assert _cli(other, tmp_path, "whoami").returncode == 0


def test_revoking_this_machines_own_session_logs_it_out_here_as_logout_does(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "self@guard.io")
    other = tmp_path / "other"
    _ok(other, tmp_path, "login", server.url, "--email", "self@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    _ok(home, work, "set", "TOKEN=in-clear-q3", "--env", "dev")
    _ok(home, work, "get", "TOKEN", "--env", "dev")  # keeps an offline copy
    breaks = "sh -c 'echo BROKEN LINE >> \"$0\"'"  # a failed edit keeps its buffer
    assert _cli(home, work, "edit", "--env", "dev", EDITOR=breaks, VISUAL=breaks).returncode == 1
    kept = next((home / "servers").iterdir())
    sessions = json.loads(_ok(home, work, "session", "list", "--json"))
    mine = next(s["id"] for s in sessions if s["current"])

    asked = _cli(home, work, "session", "revoke", mine[:8])  # no terminal, no --yes
    done = _cli(home, work, "session", "revoke", mine[:8], "--yes")

    assert asked.returncode == 2, asked.stderr
    assert "1 kept edit buffer (values in clear) would be deleted" in asked.stderr
    assert "pass --yes to delete it and log out" in asked.stderr
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"session {mine} ended",
        "deleted 1 kept edit buffer (values in clear) from the recovered directory",
        (
            "that was this machine's session: logged out, as envkeep logout does; log in"
            f" again with: envkeep login {server.url}"
        ),
    ]
    assert not (home / "session.json").exists()
    assert not (kept / "identity.key").exists()
    assert not (kept / "snapshots").exists()
    assert not any((home / "recovered").iterdir())
    after = _cli(home, work, "get", "TOKEN", "--env", "dev")
    assert after.returncode == 4, after.stderr
    assert f"hint: log in with: envkeep login {server.url}" in after.stderr
    assert _cli(other, tmp_path, "whoami").returncode == 0  # the other session lives on


def test_an_invite_names_the_server_to_join_and_audit_holds_its_limit(
    server: TeamServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _joined(server, home, tmp_path, "inviter@guard.io")

    invited = _cli(home, tmp_path, "member", "invite", "newcomer@guard.io")
    too_many = _cli(home, tmp_path, "audit", "--limit", "6000")

    assert invited.returncode == 0, invited.stderr
    assert f"they run: envkeep join {server.url} CODE" in invited.stderr
    assert too_many.returncode == 2, too_many.stderr
    assert "5000" in too_many.stderr
    typo = _cli(home, tmp_path, "audit", "--principal", "inviter@gaurd.io", "--action", "secret.")
    assert typo.returncode == 0, typo.stderr
    assert "no events match --principal inviter@gaurd.io, --action secret. (" in typo.stderr


def test_logout_removes_the_accounts_keys_and_kept_copies_and_login_brings_the_keys_back(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "leaver@guard.io")
    _ok(home, work, "set", "A=1", "--env", "dev")
    _ok(home, work, "get", "A", "--env", "dev")  # keeps an offline copy
    kept = next((home / "servers").iterdir())
    assert (kept / "identity.key").exists()
    assert any((kept / "snapshots").iterdir())

    done = _ok(home, work, "logout")

    assert not (kept / "identity.key").exists()
    assert not (kept / "identity.json").exists()
    assert not (kept / "snapshots").exists()
    _ok(home, work, "login", server.url, "--email", "leaver@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip
    assert _ok(home, work, "get", "A", "--env", "dev") == "1\n"
    assert done == ""  # the notes go to stderr


def test_logout_deletes_the_kept_buffers_of_failed_edits_whose_values_are_in_clear(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "editor@guard.io")
    _ok(home, work, "set", "TOKEN=in-clear-x7", "--env", "dev")
    breaks = "sh -c 'echo BROKEN LINE >> \"$0\"'"  # appends a line that is not dotenv
    failed = _cli(home, work, "edit", "--env", "dev", EDITOR=breaks, VISUAL=breaks)
    assert failed.returncode == 1, failed.stderr
    assert "logout deletes it too" in failed.stderr
    [kept] = (home / "recovered").iterdir()
    assert "in-clear-x7" in kept.read_text(encoding="utf-8")

    asked = _cli(home, work, "logout")  # no terminal: nothing changes without --yes

    assert asked.returncode == 2, asked.stderr
    assert asked.stderr.splitlines() == [
        f"error: 1 kept edit buffer (values in clear) would be deleted: {kept}; nothing changed",
        (
            f"hint: apply it first with: envkeep edit --from {kept}; or pass --yes to delete it"
            " and log out"
        ),
    ]
    assert kept.exists()
    assert _cli(home, work, "whoami").returncode == 0  # still logged in

    done = _cli(home, work, "logout", "--yes")

    assert done.returncode == 0, done.stderr
    assert "deleted 1 kept edit buffer (values in clear)" in done.stderr
    assert not kept.exists()
    assert _cli(home, work, "whoami").returncode == 4  # the project's server needs a login
    local = _ok(home, tmp_path, "whoami").splitlines()  # outside it: this machine's identity
    assert local[:2] == [
        "server: - (not logged in)",
        f"name: {getpass.getuser()}@local (this machine's)",
    ]
    assert not any(line.startswith(("email", "workspace")) for line in local)


def test_logout_while_the_server_is_down_says_the_session_lives_on(tmp_path: Path) -> None:
    own = start_server(tmp_path / "srv")
    home = tmp_path / "home"
    try:
        _joined(own, home, tmp_path, "away@guard.io")
    finally:
        own.stop()

    done = _cli(home, tmp_path, "logout")

    assert done.returncode == 0
    assert "could not be reached" in done.stderr
    assert "session revoke" in done.stderr


def test_invites_name_people_and_exports_do_not_overwrite(
    server: TeamServer, tmp_path: Path
) -> None:
    home, work = _in_project(server, tmp_path, "admin@guard.io")
    _ok(home, work, "set", "DATABASE_URL=postgres://db", "LOG_LEVEL=info", "--env", "dev")

    refused = _cli(home, work, "member", "invite", "not-an-email", "--role", "read")
    assert refused.returncode == 2
    assert "'not-an-email' is not an email address" in refused.stderr

    existing = work / "audit.csv"
    existing.write_text("mine\n")
    kept = _cli(home, work, "audit", "export", "--format", "csv", "-o", str(existing))
    assert kept.returncode == 1
    assert "--force" in kept.stderr
    assert existing.read_text() == "mine\n"
    _ok(home, work, "audit", "export", "--format", "csv", "-o", str(existing), "--force")
    assert existing.read_text().startswith("workspace_id")

    missing = _cli(home, work, "get", "DATABASE_UR", "--env", "dev")
    assert missing.returncode == 1
    assert "did you mean DATABASE_URL?" in missing.stderr
    assert "LOG_LEVEL" not in missing.stderr  # the scope's other names stay out of logs


def test_the_login_throttle_exits_5_naming_itself_and_when_to_retry(
    server: TeamServer, tmp_path: Path
) -> None:
    _joined(server, tmp_path / "home", tmp_path, "throttled@guard.io")
    wrong = {"email": "throttled@guard.io", "auth_key": base64.b64encode(b"w" * 32).decode()}
    spent = [httpx.post(f"{server.url}/v1/auth/login", json=wrong).status_code for _ in range(6)]
    assert spent[-1] == 429, spent  # the account's budget is spent (quickly: it refills)

    throttled = _cli(
        tmp_path / "elsewhere", tmp_path, "login", server.url, "--email", "throttled@guard.io",
        ENVKEEP_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip

    assert throttled.returncode == 5, throttled.stderr  # wait and retry; not a wrong passphrase (4)
    lines = throttled.stderr.splitlines()
    assert lines[0] == (
        "error: too many login or passphrase attempts for throttled@guard.io (the login throttle)"
    )
    assert lines[1].startswith("hint: retry in ")


def test_logging_in_again_ends_the_session_it_replaces(server: TeamServer, tmp_path: Path) -> None:
    """A machine keeps one session: the one a new login replaces was left valid on the server,
    held by no machine, for its whole lifetime (a walkthrough). Now it is ended, and said so."""
    home = tmp_path / "home"
    _joined(server, home, tmp_path, "again@guard.io")
    before = json.loads(_ok(home, tmp_path, "session", "list", "--json"))

    again = _cli(home, tmp_path, "login", server.url, "--email", "again@guard.io",
                 ENVKEEP_PASSPHRASE=PASSPHRASE)  # fmt: skip

    assert again.returncode == 0, again.stderr
    assert f"the session it replaces (again@guard.io on {server.url}) ended" in again.stderr
    after = json.loads(_ok(home, tmp_path, "session", "list", "--json"))
    assert len(before) == len(after) == 1, (before, after)
    assert before[0]["id"] != after[0]["id"]
    assert after[0]["current"] is True
