"""`envkeep git-setup --diff`: git diff and log -p of an encrypted .env file show its names and
plain values (and the key each version is under), in the clone that asked for it only; never
cached in .git, and a version that does not open is shown as it is instead of stopping git."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.cli.conftest import Envkeep, quick_ok
from tests.terminal import on_terminal
from tests.test_filemerge import PASSPHRASE, git

if TYPE_CHECKING:
    from pathlib import Path

FIRST = "# api\nAPI_KEY=first-secret-value\nPORT=8080\n"
SECOND = "# api\nAPI_KEY=second-secret-value\nPORT=8080\n"


@pytest.fixture
def history(tmp_path: Path) -> Envkeep:
    """Two commits of .env.enc (dev's key) in a repository set up with --diff."""
    for name in ("home", "work", "plain", "tmp"):
        (tmp_path / name).mkdir()
    envkeep = Envkeep(tmp_path / "home", tmp_path / "work")
    quick_ok(envkeep, "init", "shop")
    git(envkeep, "init", "-q", "-b", "main")
    git(envkeep, "config", "user.email", "dev@example.com")
    git(envkeep, "config", "user.name", "dev")
    envkeep.ok("git-setup", "--diff")
    for message, text in (("first", FIRST), ("second", SECOND)):
        plain = tmp_path / "plain" / ".env"
        plain.write_text(text)
        quick_ok(envkeep, "encrypt", str(plain), "-o", ".env.enc", "--env", "dev", "--force")
        git(envkeep, "add", "-A")
        git(envkeep, "commit", "-qm", message)
    return envkeep


def _lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The diff's changed lines, without the file names' ``---``/``+++`` lines."""
    lines = done.stdout.splitlines()
    return [line for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_git_log_shows_the_values_that_changed_and_the_key(history: Envkeep) -> None:
    shown = git(history, "log", "-p", "-1", "--format=", "--", ".env.enc")

    assert _lines(shown) == ["-API_KEY=first-secret-value", "+API_KEY=second-secret-value"]
    first = git(history, "show", "HEAD~1", "--format=", "--", ".env.enc")
    assert "+# envkeep: decrypted, encrypted to key version 1 of 'dev'" in first.stdout
    assert (history.cwd / ".gitattributes").read_text() == (
        "*.env.enc merge=envkeep -text diff=envkeep\n.env.*.enc merge=envkeep -text diff=envkeep\n"
    )


def test_a_clone_without_the_config_sees_ciphertext(history: Envkeep) -> None:
    git(history, "config", "--unset", "diff.envkeep.textconv")

    shown = git(history, "log", "-p", "-1", "--format=", "--", ".env.enc")

    assert "secret-value" not in shown.stdout
    assert any(line.startswith("+API_KEY=enc:v1:") for line in _lines(shown))


def test_the_decrypted_text_is_never_cached_in_git(history: Envkeep) -> None:
    setup = history.ok("git-setup", "--diff")
    assert git(history, "config", "diff.envkeep.cachetextconv").stdout == "false\n"
    assert "everything was set up already; nothing changed" in setup.err_lines

    # Turned on anyway (here, or in a global config): ciphertext, and why, is all it shows.
    cached = git(history, "-c", "diff.envkeep.cachetextconv=true", "log", "-p", "--", ".env.enc")

    assert "secret-value" not in cached.stdout
    assert "not decrypted: diff.envkeep.cachetextconv is on" in cached.stdout
    stored = git(history, "log", "-p", "refs/notes/textconv/envkeep", ok=False).stdout
    assert "secret-value" not in stored


def test_setup_turns_caching_off_when_it_was_on(history: Envkeep) -> None:
    git(history, "config", "diff.envkeep.cachetextconv", "true")

    setup = history.ok("git-setup", "--diff")

    assert git(history, "config", "diff.envkeep.cachetextconv").stdout == "false\n"
    assert any(line.startswith("turned diff.envkeep.cachetextconv off") for line in setup.err_lines)


def test_a_version_that_does_not_open_is_shown_as_it_is_and_git_goes_on(
    history: Envkeep,
) -> None:
    plain = history.cwd.parent / "plain" / ".env"
    plain.write_text(FIRST)
    env = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    quick_ok(history, "encrypt", str(plain), "-o", ".env.enc", "--passphrase", "--force", env=env)
    git(history, "commit", "-qam", "to a passphrase")

    without = subprocess.run(
        ["git", "log", "-p", "--format=", "--", ".env.enc"],
        cwd=history.cwd,
        env=history.environ({"ENVKEEP_FILE_PASSPHRASE": None}),
        capture_output=True,
        text=True,
        check=False,
    )
    given = git(history, "log", "-p", "-1", "--format=", "--", ".env.enc")

    assert without.returncode == 0, without.stderr  # git did not stop at it
    assert any("not decrypted:" in line and "passphrase" in line for line in _lines(without))
    assert "-API_KEY=first-secret-value" in without.stdout  # the versions before still open
    assert "+# envkeep: decrypted, encrypted to a passphrase" in given.stdout


def test_textconv_never_asks_for_the_identity_passphrase_on_a_terminal(
    history: Envkeep,
) -> None:
    quick_ok(history, "identity", "protect", env={"ENVKEEP_NEW_PASSPHRASE": PASSPHRASE})
    version = history.cwd.parent / "tmp" / ".env.enc"
    version.write_text(git(history, "show", "HEAD:.env.enc").stdout)
    asked = "Passphrase for the envkeep identity:"

    # git runs textconv with its own terminal as stdin, under a pager reading that terminal.
    code, written = on_terminal(history.home, history.cwd, ("textconv", str(version)), {asked: "x"})

    assert code == 0, written
    assert asked not in written
    assert "# envkeep: not decrypted: the local identity is protected by a passphrase" in written
    assert "ENVKEEP_PASSPHRASE" in written
    assert "second-secret-value" not in written


def test_a_version_that_does_not_open_is_named_without_gits_temporary_folder(
    history: Envkeep,
) -> None:
    plain = history.cwd.parent / "plain" / ".env"
    plain.write_text(FIRST)
    env = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    quick_ok(history, "encrypt", str(plain), "-o", ".env.enc", "--passphrase", "--force", env=env)
    git(history, "commit", "-qam", "to a passphrase")

    shown = subprocess.run(
        ["git", "log", "-p", "-1", "--format=", "--", ".env.enc"],
        cwd=history.cwd,
        env=history.environ({"ENVKEEP_FILE_PASSPHRASE": None, "TMPDIR": str(plain.parent)}),
        capture_output=True,
        text=True,
        check=True,
    )

    refusal = next(line for line in _lines(shown) if "not decrypted:" in line)
    assert refusal.startswith("+# envkeep: not decrypted: .env.enc needs its passphrase"), refusal
    assert str(plain.parent) not in shown.stdout  # the copy git deleted once the diff was made


def test_a_version_that_is_not_utf8_still_shows_what_changed(history: Envkeep) -> None:
    (history.cwd / "legacy.env.enc").write_bytes(b"NAME=caf\xe9\n")
    git(history, "add", "legacy.env.enc")
    git(history, "commit", "-qm", "latin-1")
    (history.cwd / "legacy.env.enc").write_bytes(b"NAME=caf\xe9 au lait\n")
    git(history, "commit", "-qam", "changed")

    shown = git(history, "log", "-p", "-1", "--format=", "--", "legacy.env.enc")

    assert _lines(shown) == [
        "-NAME=caf\ufffd",
        "+NAME=caf\ufffd au lait",
    ], shown.stdout


def test_format_patch_and_stash_show_never_decrypt(history: Envkeep) -> None:
    # What docs/quickstart.md says of the commands whose diffs are mailed or applied.
    patch = git(history, "format-patch", "-1", "--stdout")
    plain = history.cwd.parent / "plain" / ".env"
    plain.write_text(FIRST)
    quick_ok(history, "encrypt", str(plain), "-o", ".env.enc", "--env", "dev", "--force")
    git(history, "stash", "-q")
    stashed = git(history, "stash", "show", "-p")

    for shown in (patch, stashed):
        assert "secret-value" not in shown.stdout
        assert any(line.startswith("+API_KEY=enc:v1:") for line in _lines(shown)), shown.stdout


def test_setup_says_to_name_a_project_whose_envkeep_toml_git_does_not_see(
    tmp_path: Path,
) -> None:
    repository = tmp_path / "repo"
    for path in (tmp_path / "home", repository / "shop"):
        path.mkdir(parents=True)
    envkeep = Envkeep(tmp_path / "home", repository / "shop")
    quick_ok(envkeep, "init", "shop")
    subprocess.run(["git", "init", "-q", str(repository)], check=True)

    below = envkeep.ok("git-setup", "--diff")
    at_top = Envkeep(envkeep.home, repository).ok("git-setup", "--diff")

    hint = (
        "hint: git runs envkeep textconv in the repository's top directory, where"
        f" {repository / 'shop' / 'envkeep.toml'} is not found: run git diff and log -p with"
        " ENVKEEP_PROJECT=shop"
    )
    assert hint in below.err_lines
    assert not any("ENVKEEP_PROJECT" in line for line in at_top.err_lines)
