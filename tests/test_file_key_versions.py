"""An encrypted file from before a key rotation, on a real team server: a member granted after
the rotation holds the current key only, so `decrypt` and `run --file` of the file refuse
(exit 4, not authorised) saying that the file is under an older key version, which versions
the caller holds, and the command that re-encrypts it, for someone who holds the old one. A
rotation (`env rotate-key`, and those a revocation makes) names the encrypted files of the
checkout still under the old key.

Team: Alice (admin); Bob (write on staging) encrypts `a.env` to staging's key v1 and leaves
only `a.env.enc` in the checkout; Alice rotates staging (v2); Frank is granted read on staging
afterwards; then Bob's role is revoked (staging rotates again: v3).
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

REENCRYPT = (
    "envkeep decrypt a.env.enc -o a.env && envkeep encrypt a.env -o a.env.enc --env staging"
    " --force, then delete a.env"
)
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
    after_reencryption: CompletedProcess[str]


def _member(server: TeamServer, root: Path, work: Path, who: str, role: str) -> None:
    email, scope = f"{who}@files.io", ("--project", "shop", "--env", "staging")
    alice = root / "alice"
    code = _ok(alice, work, "member", "invite", email, "--role", role, *scope).strip()
    join(server, root / who, work, code, email)
    _ok(alice, work, "member", "grant", email, role, *scope)


@pytest.fixture(scope="module")
def story(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Story:
    root = tmp_path_factory.mktemp("files")
    work, alice, bob, frank = root / "work", root / "alice", root / "bob", root / "frank"
    work.mkdir()
    join(server, alice, work, server.invite("alice@files.io"), "alice@files.io")
    _ok(alice, work, "init", "shop")
    _member(server, root, work, "bob", "write")
    (work / "a.env").write_text("API_KEY=one\n", encoding="utf-8")
    _ok(bob, work, "encrypt", "a.env", "-o", "a.env.enc", "--env", "staging")
    (work / "a.env").unlink()  # the checkout holds the encrypted file only
    rotated = _cli(alice, work, "env", "rotate-key", "staging")
    rotated_other = _cli(alice, work, "env", "rotate-key", "dev")  # no file is under dev's key
    _member(server, root, work, "frank", "read")
    decrypted = _cli(frank, work, "decrypt", "a.env.enc", "-o", "-")
    show = "import os, sys; sys.stdout.write(os.environ['API_KEY'])"
    ran = _cli(frank, work, "run", "--file", "a.env.enc", "--", sys.executable, "-c", show)
    scope = ("--project", "shop", "--env", "staging")
    revoked = _cli(alice, work, "member", "revoke", "bob@files.io", *scope)
    # Alice holds key v1: she follows the hint.
    _ok(alice, work, "decrypt", "a.env.enc", "-o", "a.env")
    _ok(alice, work, "encrypt", "a.env", "-o", "a.env.enc", "--env", "staging", "--force")
    (work / "a.env").unlink()
    after = _cli(frank, work, "decrypt", "a.env.enc", "-o", "-")
    return Story(root, work, rotated, rotated_other, decrypted, ran, revoked, after)


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


def test_the_re_encrypted_file_opens_for_a_member_granted_after_the_rotation(
    story: Story,
) -> None:
    assert (story.after_reencryption.returncode, story.after_reencryption.stdout) == (
        0,
        "API_KEY=one\n",
    ), story.after_reencryption.stderr


def test_a_rotation_names_the_checkouts_files_still_under_the_old_key(story: Story) -> None:
    assert story.rotated.returncode == 0, story.rotated.stderr
    assert _rotation_note(1) in story.rotated.stderr.splitlines()
    assert story.rotated_other.returncode == 0, story.rotated_other.stderr
    assert "a.env.enc" not in story.rotated_other.stderr


def test_the_rotation_a_revocation_makes_names_them_too(story: Story) -> None:
    assert story.revoked.returncode == 0, story.revoked.stderr
    assert _rotation_note(1) in story.revoked.stderr.splitlines()


def test_the_re_encryption_command_names_the_plain_file_decrypt_writes() -> None:
    assert reencrypt_command("secrets/.env.prod.enc", "prod") == (
        "envkeep decrypt secrets/.env.prod.enc -o secrets/.env.prod && envkeep encrypt"
        " secrets/.env.prod -o secrets/.env.prod.enc --env prod --force, then delete"
        " secrets/.env.prod"
    )
    assert reencrypt_command("vault.txt", "dev").startswith(
        "envkeep decrypt vault.txt -o vault.txt.dec && envkeep encrypt vault.txt.dec -o vault.txt"
    )
    # Read from stdin (`decrypt -`), the file has no name here to put in the command.
    assert reencrypt_command(None, "dev").startswith("envkeep decrypt FILE -o PLAIN && ")
