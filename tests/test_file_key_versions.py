"""An encrypted file from before a key rotation, on a real team server: a member granted after
the rotation holds the current key only, so `decrypt` and `run --file` of the file refuse
(exit 4, not authorised) saying that the file is under an older key version, which versions
the caller holds, and the command that re-encrypts it, for someone who holds the old one. A
rotation (`env rotate-key`, and those a revocation makes) names the encrypted files of the
checkout still under the old key. `reencrypt` brings the file in place under the current key
without a plain file on disk, and the newcomer opens it.

Team: Alice (admin); Bob (write on staging) encrypts `a.env` to staging's key v1 and leaves
only `a.env.enc` in the checkout; Alice rotates staging (v2); Frank is granted read on staging
afterwards; then Bob's role is revoked (staging rotates again: v3). Frank's `reencrypt` is
refused; Alice's rewrites the file under v3, and her second one leaves it as it is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from envkeep.client.file_key_versions import reencrypt_command
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from subprocess import CompletedProcess

REENCRYPT = "envkeep reencrypt a.env.enc"
# Comments, blank lines, `export`, quotes and a value with spaces: kept byte for byte.
PLAIN = "# staging API\nexport API_KEY=one\n\nGREETING='hello there' # shown at login\n"
REFUSED = (
    "error: a.env.enc is encrypted under key version 1 of environment 'staging', from before a"
    " key rotation (its current version is 2); you hold only version 2"
)
REFUSED_HINT = (
    f"hint: someone who holds key version 1 re-encrypts it with the current key: {REENCRYPT}"
)


def _rotation_note(old: int) -> str:
    return (
        f"note: a.env.enc is encrypted under key version {old} of 'staging', which still opens"
        f" it (whoever lost access may hold that key): re-encrypt it with the new key: {REENCRYPT}"
    )


# SQLite only: which key a file is under is the client's business.
@pytest.fixture(scope="module", params=["sqlite"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "file-key-versions")


@dataclass
class Story:
    root: Path
    work: Path
    rotated: CompletedProcess[str]
    rotated_other: CompletedProcess[str]
    decrypted: CompletedProcess[str]
    ran: CompletedProcess[str]
    revoked: CompletedProcess[str]
    refused_reencryption: CompletedProcess[str]
    reencrypted: CompletedProcess[str]
    reencrypted_again: CompletedProcess[str]
    after_reencryption: CompletedProcess[str]
    held: dict[str, CompletedProcess[str]]  # Alice's reads, who holds every key version
    files: dict[str, list[str]]  # the checkout's files at each step
    encrypted: dict[str, bytes]  # a.env.enc at each step
    plain: dict[str, bytes]  # what Alice decrypts from it, before and after


def _member(server: TeamServer, root: Path, work: Path, who: str, role: str) -> None:
    email, scope = f"{who}@files.io", ("--project", "shop", "--env", "staging")
    alice = root / "alice"
    code = _ok(alice, work, "member", "invite", email, "--role", role, *scope).strip()
    join(server, root / who, work, code, email)
    _ok(alice, work, "member", "grant", email, role, *scope)


def _files(work: Path) -> list[str]:
    return sorted(path.name for path in work.iterdir())


def _plain(alice: Path, work: Path, out: Path) -> bytes:
    """What Alice decrypts a.env.enc to, written outside the checkout (bytes: no newline
    translation)."""
    _ok(alice, work, "decrypt", "a.env.enc", "-o", str(out))
    return out.read_bytes()


def _tampered(text: str) -> str:
    """``text`` with one character of API_KEY's ciphertext changed."""
    start = text.index("API_KEY=enc:v1:") + len("API_KEY=enc:v1:") + 20
    return text[:start] + ("B" if text[start] != "B" else "C") + text[start + 1 :]


@pytest.fixture(scope="module")
def story(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Story:
    root = tmp_path_factory.mktemp("files")
    work, alice, bob, frank = root / "work", root / "alice", root / "bob", root / "frank"
    work.mkdir()
    join(server, alice, work, server.invite("alice@files.io"), "alice@files.io")
    _ok(alice, work, "init", "shop")
    _member(server, root, work, "bob", "write")
    (work / "a.env").write_text(PLAIN, encoding="utf-8")
    _ok(bob, work, "encrypt", "a.env", "-o", "a.env.enc", "--env", "staging")
    (work / "a.env").unlink()  # the checkout holds the encrypted file only
    rotated = _cli(alice, work, "env", "rotate-key", "staging")
    rotated_other = _cli(alice, work, "env", "rotate-key", "dev")  # no file is under dev's key
    _member(server, root, work, "frank", "read")
    decrypted = _cli(frank, work, "decrypt", "a.env.enc", "-o", "-")
    show = "import os, sys; sys.stdout.write(os.environ['API_KEY'])"
    ran = _cli(frank, work, "run", "--file", "a.env.enc", "--", sys.executable, "-c", show)
    scope = ("--project", "shop", "--env", "staging")
    revoked = _cli(alice, work, "member", "revoke", "--yes", "bob@files.io", *scope)
    files, encrypted = {"before": _files(work)}, {"before": (work / "a.env.enc").read_bytes()}
    plain = {"before": _plain(alice, work, root / "before.env")}
    held = {
        "decrypted": _cli(alice, work, "decrypt", "a.env.enc", "-o", "-"),
        "ran": _cli(alice, work, "run", "--file", "a.env.enc", "--", sys.executable, "-c", show),
    }
    tampered = root / "tampered.env.enc"
    tampered.write_text(_tampered((work / "a.env.enc").read_text()))
    held["tampered"] = _cli(alice, work, "decrypt", str(tampered), "-o", "-")
    held["tampered run"] = _cli(alice, work, "run", "--file", str(tampered), "--", "true")
    refused = _cli(frank, work, "reencrypt", "a.env.enc")  # he holds no key v1
    encrypted["refused"] = (work / "a.env.enc").read_bytes()
    # Alice holds key v1: she follows the hint.
    reencrypted = _cli(alice, work, "reencrypt", "a.env.enc")
    files["after"], encrypted["after"] = _files(work), (work / "a.env.enc").read_bytes()
    again = _cli(alice, work, "reencrypt", "a.env.enc")
    encrypted["again"] = (work / "a.env.enc").read_bytes()
    plain["after"] = _plain(alice, work, root / "after.env")
    after = _cli(frank, work, "decrypt", "a.env.enc", "-o", "-")
    held["after"] = _cli(alice, work, "decrypt", "a.env.enc", "-o", "-")
    return Story(
        root, work, rotated, rotated_other, decrypted, ran, revoked, refused, reencrypted, again,
        after, held, files, encrypted, plain,
    )  # fmt: skip


def test_decrypting_a_file_from_before_a_rotation_says_so_and_how_to_re_encrypt_it(
    story: Story,
) -> None:
    refused = story.decrypted

    assert refused.returncode == 4, refused.stderr
    assert refused.stdout == ""
    # After the note trusting alice's key on first use (she signed the values read).
    assert refused.stderr.splitlines()[-2:] == [REFUSED, REFUSED_HINT]


def test_run_with_such_a_file_refuses_the_same_way_before_starting_the_command(
    story: Story,
) -> None:
    assert story.ran.returncode == 4, story.ran.stderr
    assert story.ran.stdout == ""
    assert story.ran.stderr.splitlines() == [REFUSED, REFUSED_HINT]


def test_reading_a_file_under_an_older_key_you_hold_warns_with_the_re_encryption_command(
    story: Story,
) -> None:
    # What a `git revert` of the commit that re-encrypted it leaves: it opens, and says so.
    warning = (
        "warning: a.env.enc is encrypted under key version 1 of 'staging', whose current"
        " version is 3: whoever a key rotation cut off may hold the old key; re-encrypt it"
        f" with the current key: {REENCRYPT}"
    )
    for read in ("decrypted", "ran"):
        done = story.held[read]
        assert done.returncode == 0, done.stderr
        assert warning in done.stderr.splitlines(), read
    assert story.held["decrypted"].stdout == PLAIN
    assert story.held["ran"].stdout == "one"
    assert story.reencrypted.stderr.count("warning:") == 0  # reencrypt is the fix, not a read
    assert "warning:" not in story.held["after"].stderr  # under the current key: nothing said


def test_a_file_that_fails_verification_is_not_called_worth_re_encrypting(story: Story) -> None:
    for read in ("tampered", "tampered run"):
        done = story.held[read]
        assert done.returncode != 0, read
        assert "failed verification" in done.stderr, done.stderr
        assert "warning:" not in done.stderr, done.stderr  # no "re-encrypt it" before the error


def test_the_re_encrypted_file_opens_for_a_member_granted_after_the_rotation(
    story: Story,
) -> None:
    assert (story.after_reencryption.returncode, story.after_reencryption.stdout) == (
        0,
        PLAIN,
    ), story.after_reencryption.stderr


def test_re_encrypting_in_place_writes_no_plain_file_and_keeps_the_exact_text(
    story: Story,
) -> None:
    done = story.reencrypted
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "re-encrypted a.env.enc with key version 3 of 'staging' (it was under version 1)"
    )
    assert story.files["after"] == story.files["before"]  # no a.env, no temp file left
    header = story.encrypted["after"].split(b"\n")[0]
    assert header.startswith(b"# envkeep-encrypted:v2 env=staging env_id=")
    assert b" key_version=3 check=" in header
    assert story.plain["after"] == story.plain["before"] == PLAIN.encode()


def test_re_encrypting_needs_the_old_key_and_leaves_the_file_when_refused(story: Story) -> None:
    refused = story.refused_reencryption
    assert refused.returncode == 4, refused.stderr
    after_revocation = REFUSED.replace("is 2); you hold only version 2", "is 3); you hold only")
    assert refused.stderr.splitlines()[-2:] == [
        f"{after_revocation} versions 2, 3; nothing was written",
        REFUSED_HINT,
    ]
    assert story.encrypted["refused"] == story.encrypted["before"]


def test_a_file_under_the_current_key_is_said_to_be_and_left_as_it_is(story: Story) -> None:
    again = story.reencrypted_again
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[-1] == (
        "a.env.enc is under the current key of 'staging' (version 3) already; left as it is"
    )
    assert story.encrypted["again"] == story.encrypted["after"]


def test_a_rotation_names_the_checkouts_files_still_under_the_old_key(story: Story) -> None:
    assert story.rotated.returncode == 0, story.rotated.stderr
    assert _rotation_note(1) in story.rotated.stderr.splitlines()
    assert story.rotated_other.returncode == 0, story.rotated_other.stderr
    assert "a.env.enc" not in story.rotated_other.stderr


def test_the_rotation_a_revocation_makes_names_them_too(story: Story) -> None:
    assert story.revoked.returncode == 0, story.revoked.stderr
    assert _rotation_note(1) in story.revoked.stderr.splitlines()


def test_the_re_encryption_command_names_the_file_as_typed_quoted_for_a_shell() -> None:
    assert reencrypt_command("secrets/.env.prod.enc") == "envkeep reencrypt secrets/.env.prod.enc"
    assert reencrypt_command("my secrets.enc") == "envkeep reencrypt 'my secrets.enc'"
    # Read from stdin (`decrypt -`), the file has no name here to put in the command.
    assert reencrypt_command(None) == "envkeep reencrypt FILE"
