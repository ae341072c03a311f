"""Encrypting over an encrypted file of the same key keeps the ciphertext of every unchanged
value, so `git diff .env.enc` shows the changed lines and the header's mac only; a file of
another key, or one that does not verify, is ignored and every value is encrypted afresh."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import pytest

from envkeep import crypto
from envkeep.client import _fileheader
from envkeep.client.filecrypt import (
    FileKey,
    decrypt_dotenv,
    encrypt_dotenv,
    environment_key,
    passphrase_key,
    read_header,
)
from envkeep.client.filecrypt_reuse import passphrase_key_for_replacing, replaced_file
from envkeep.core.errors import IntegrityError
from tests.cli.conftest import Envkeep, embedded_shop, quick, quick_ok

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

PASSPHRASE = "correct horse battery staple"
BEFORE = (
    "# app settings\n"
    "export DB_URL=postgres://app:hunter2-s3cr3t@db/app\n"
    "API_KEY = 'sk-live-0123456789'\n"
    'MULTI="line one\nline two"# two lines\n'
    "\n"
    "EMPTY=\n"
    "LAST=final-value\n"
)
AFTER = BEFORE.replace("sk-live-0123456789", "sk-live-9876543210")  # API_KEY changed
ENTRIES = 5
TOKEN_RE = re.compile(r"enc:v1:[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def pass_key() -> FileKey:
    """A passphrase key, derived once: Argon2id at the floor costs ~0.2 s."""
    return passphrase_key(PASSPHRASE)


@pytest.fixture
def dek() -> bytes:
    return os.urandom(32)


@pytest.fixture
def env_key(dek: bytes) -> FileKey:
    return environment_key(dek, env_id="env-1234", key_version=3, label="prod")


def changed_lines(old: str, new: str) -> list[int]:
    """The numbers (0: the header) of the lines that differ between two files of equal length."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    assert len(old_lines) == len(new_lines)
    return [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]


def line_of(text: str, name: str) -> int:
    return next(
        i for i, line in enumerate(text.split("\n")) if re.match(rf"(export )?{name}", line)
    )


def value_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.split("\n")) if "enc:v1:" in line]


def salt_of(text: str) -> str:
    header = read_header(text)
    assert header is not None
    return header["salt"]


def tokens(text: str) -> set[str]:
    return set(TOKEN_RE.findall(text))


def assert_nothing_kept(old: str, new: str) -> None:
    """Every value of ``new`` was encrypted afresh: no ciphertext of ``old`` is in it."""
    assert len(tokens(new)) == len(value_lines(new)) == ENTRIES
    assert tokens(old) & tokens(new) == set()


# --- one key: unchanged values keep their ciphertexts ------------------------------------------


def test_changing_one_value_changes_only_its_line_and_the_header_mac(env_key: FileKey) -> None:
    old = encrypt_dotenv(BEFORE, env_key)

    new = encrypt_dotenv(AFTER, env_key, previous=old)

    assert changed_lines(old, new) == [0, line_of(old, "API_KEY")]
    assert old.partition(" mac=")[0] == new.partition(" mac=")[0]
    assert decrypt_dotenv(new, env_key.key) == AFTER


def test_a_value_added_at_the_end_keeps_every_old_line(env_key: FileKey) -> None:
    old = encrypt_dotenv(BEFORE, env_key)
    after = BEFORE + "ADDED=a-new-value\n"

    new = encrypt_dotenv(after, env_key, previous=old)

    old_lines, new_lines = old.split("\n"), new.split("\n")
    assert new_lines[1 : len(old_lines) - 1] == old_lines[1:-1]
    assert new_lines[0] != old_lines[0]
    assert new_lines[len(old_lines) - 1].startswith("ADDED=enc:v1:")
    assert decrypt_dotenv(new, env_key.key) == after


def test_encrypting_an_unchanged_file_again_writes_the_same_bytes(env_key: FileKey) -> None:
    old = encrypt_dotenv(BEFORE, env_key)

    assert encrypt_dotenv(BEFORE, env_key, previous=old) == old
    assert encrypt_dotenv(BEFORE, env_key) != old  # without it: fresh nonces everywhere


def test_a_file_with_a_bom_and_crlf_keeps_its_unchanged_lines(env_key: FileKey) -> None:
    before = "\ufeff" + BEFORE.replace("\n", "\r\n")
    after = "\ufeff" + AFTER.replace("\n", "\r\n")
    old = encrypt_dotenv(before, env_key)

    new = encrypt_dotenv(after, env_key, previous=old)

    assert changed_lines(old, new) == [0, line_of(old, "API_KEY")]
    assert decrypt_dotenv(new, env_key.key) == after


def test_an_entry_inserted_first_keeps_every_other_ciphertext(env_key: FileKey) -> None:
    # Each value's AAD holds its name, not its index: moving every entry down one keeps them.
    old = encrypt_dotenv(BEFORE, env_key)
    after = "FIRST=1\n" + BEFORE

    new = encrypt_dotenv(after, env_key, previous=old)

    assert new.split("\n")[2:] == old.split("\n")[1:]
    assert new.split("\n")[1].startswith("FIRST=enc:v1:")
    assert decrypt_dotenv(new, env_key.key) == after


def test_the_same_value_under_another_name_is_encrypted_afresh(env_key: FileKey) -> None:
    old = encrypt_dotenv("A=same-value\n", env_key)

    new = encrypt_dotenv("B=same-value\n", env_key, previous=old)

    assert tokens(old) & tokens(new) == set()
    assert decrypt_dotenv(new, env_key.key) == "B=same-value\n"


# --- another key: nothing is kept --------------------------------------------------------------


def _another_environment(dek: bytes) -> FileKey:
    return environment_key(dek, env_id="env-5678", key_version=3, label="prod")


def _another_data_key(dek: bytes) -> FileKey:
    return environment_key(os.urandom(32), env_id="env-1234", key_version=3, label="prod")


def _a_rotated_key(dek: bytes) -> FileKey:
    # `env rotate-key` (on a team server): a new data key under the next version.
    return environment_key(os.urandom(32), env_id="env-1234", key_version=2, label="prod")


def _another_key_version_of_the_same_data_key(dek: bytes) -> FileKey:
    # The file key does not depend on the version: only the envelopes' version tells them apart.
    return environment_key(dek, env_id="env-1234", key_version=4, label="prod")


@pytest.mark.parametrize(
    "other_key",
    [
        _another_environment,
        _another_data_key,
        _a_rotated_key,
        _another_key_version_of_the_same_data_key,
    ],
)
def test_a_file_of_another_key_keeps_none_of_its_ciphertexts(
    env_key: FileKey, dek: bytes, other_key: Callable[[bytes], FileKey]
) -> None:
    old = encrypt_dotenv(BEFORE, other_key(dek))

    new = encrypt_dotenv(BEFORE, env_key, previous=old)

    assert changed_lines(old, new) == [0, *value_lines(old)]
    assert_nothing_kept(old, new)
    assert decrypt_dotenv(new, env_key.key) == BEFORE


def _swap_two_ciphertexts(text: str) -> str:
    first, second = TOKEN_RE.findall(text)[:2]
    return text.replace(first, "\0").replace(second, first).replace("\0", second)


def _flip_a_character_of_one_ciphertext(text: str) -> str:
    at = TOKEN_RE.findall(text)[1]
    changed = at[:20] + ("B" if at[20] != "B" else "C") + at[21:]
    return text.replace(at, changed)


def _edit_a_comment(text: str) -> str:
    return text.replace("# app settings", "# app settings!")


@pytest.mark.parametrize(
    "tamper", [_swap_two_ciphertexts, _flip_a_character_of_one_ciphertext, _edit_a_comment]
)
def test_a_tampered_file_keeps_none_of_its_ciphertexts(
    env_key: FileKey, tamper: Callable[[str], str]
) -> None:
    tampered = tamper(encrypt_dotenv(BEFORE, env_key))
    with pytest.raises(IntegrityError):  # it no longer decrypts
        decrypt_dotenv(tampered, env_key.key)

    new = encrypt_dotenv(BEFORE, env_key, previous=tampered)

    assert_nothing_kept(tampered, new)
    assert decrypt_dotenv(new, env_key.key) == BEFORE


@pytest.mark.parametrize(
    "previous",
    [
        "",
        "A=1\n",
        "# envkeep-encrypted:v1 env=x\n",
        "# envkeep-encrypted:v9 a=b\nA=1\n",
        "\0\ufffd",
    ],
)
def test_a_previous_file_that_is_not_an_encrypted_one_is_ignored(
    env_key: FileKey, previous: str
) -> None:
    new = encrypt_dotenv(BEFORE, env_key, previous=previous)

    assert decrypt_dotenv(new, env_key.key) == BEFORE


# --- passphrases -------------------------------------------------------------------------------


def test_the_same_passphrase_keeps_the_salt_and_the_unchanged_ciphertexts(
    pass_key: FileKey,
) -> None:
    old = encrypt_dotenv(BEFORE, pass_key)

    key = passphrase_key_for_replacing(PASSPHRASE, old)
    new = encrypt_dotenv(AFTER, key, previous=old)

    assert key.header == pass_key.header
    assert changed_lines(old, new) == [0, line_of(old, "API_KEY")]
    assert decrypt_dotenv(new, key.key) == AFTER


def test_another_passphrase_gets_a_fresh_salt_and_keeps_no_ciphertext(pass_key: FileKey) -> None:
    old = encrypt_dotenv(BEFORE, pass_key)

    key = passphrase_key_for_replacing("another passphrase entirely", old)
    new = encrypt_dotenv(BEFORE, key, previous=old)

    assert salt_of(old) != salt_of(new)
    assert_nothing_kept(old, new)
    assert decrypt_dotenv(new, key.key) == BEFORE


@pytest.fixture
def files(pass_key: FileKey, env_key: FileKey) -> dict[str, str]:
    """Files an encrypt to a passphrase may replace, by kind."""
    return {
        "pass": encrypt_dotenv(BEFORE, pass_key),
        "costlier": encrypt_dotenv(BEFORE, pass_key).replace(" m=65536 ", " m=131072 ", 1),
        "env": encrypt_dotenv(BEFORE, env_key),
    }


@pytest.mark.parametrize(
    ("passphrase", "replaced", "runs"),
    [
        (PASSPHRASE, "pass", 1),  # the old salt opens it
        ("another passphrase entirely", "pass", 2),  # the old salt, then a fresh one
        (PASSPHRASE, "costlier", 1),  # other costs: not worth a run; a fresh salt
        (PASSPHRASE, "env", 1),
        (PASSPHRASE, None, 1),
    ],
)
def test_argon2id_runs_at_most_once_per_salt(
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    passphrase: str,
    replaced: str | None,
    runs: int,
) -> None:
    salts: list[bytes] = []
    derive = crypto.derive_passphrase_key

    def counting(passphrase: str, salt: bytes, params: crypto.KdfParams) -> bytes:
        salts.append(salt)
        return derive(passphrase, salt, params)

    monkeypatch.setattr(_fileheader, "derive_passphrase_key", counting)

    key = passphrase_key_for_replacing(passphrase, None if replaced is None else files[replaced])

    assert len(salts) == len(set(salts)) == runs
    assert key.header.endswith(" m=65536 t=3 p=4")


def test_replaced_file_reads_only_an_encrypted_utf8_file(tmp_path: Path, env_key: FileKey) -> None:
    encrypted = encrypt_dotenv(BEFORE, env_key)
    (tmp_path / "enc").write_text(encrypted, encoding="utf-8", newline="")
    (tmp_path / "plain").write_text(BEFORE, encoding="utf-8")
    (tmp_path / "latin1").write_bytes(encrypted.encode("utf-8") + b"\xff")
    (tmp_path / "dir").mkdir()

    assert replaced_file(tmp_path / "enc") == encrypted
    for name in ("plain", "latin1", "dir", "missing"):
        assert replaced_file(tmp_path / name) is None, name


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Envkeep:
    """A project on the embedded store (environments dev, staging, prod)."""
    return embedded_shop(tmp_path)


def encrypt_twice(
    envkeep: Envkeep, first: tuple[str, ...], second: tuple[str, ...], *, after: str = AFTER
) -> tuple[str, str]:
    """`encrypt .env -o .env.enc FIRST`, then with ``after`` in .env `... --force SECOND`."""
    plain, sealed = envkeep.cwd / ".env", envkeep.cwd / ".env.enc"
    env = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    plain.write_bytes(BEFORE.encode())
    quick_ok(envkeep, "encrypt", ".env", "-o", ".env.enc", *first, env=env)
    old = sealed.read_bytes().decode()
    plain.write_bytes(after.encode())
    envkeep.ok("encrypt", ".env", "-o", ".env.enc", "--force", *second, env=env)  # a process
    return old, sealed.read_bytes().decode()


def decrypted(envkeep: Envkeep) -> bytes:
    env = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    quick_ok(envkeep, "decrypt", ".env.enc", "-o", ".env.out", "--force", env=env)
    return (envkeep.cwd / ".env.out").read_bytes()


@pytest.mark.parametrize("key", [("--env", "dev"), ("--passphrase",)])
def test_cli_reencrypting_after_one_change_rewrites_that_line_and_the_header(
    shop: Envkeep, key: tuple[str, ...]
) -> None:
    old, new = encrypt_twice(shop, key, key)

    assert changed_lines(old, new) == [0, line_of(old, "API_KEY")]
    assert decrypted(shop) == AFTER.encode()


def test_cli_names_every_value_a_stale_plain_file_changes(shop: Envkeep) -> None:
    # A teammate's change pulled into .env.enc after .env was decrypted: encrypting the old
    # .env with one edit puts their value back, a change git shows only as ciphertext.
    plain, sealed = shop.cwd / ".env", shop.cwd / ".env.enc"
    plain.write_bytes(BEFORE.replace("final-value", "pulled-value").encode())
    quick_ok(shop, "encrypt", ".env", "-o", ".env.enc")
    plain.write_bytes(AFTER.encode())  # decrypted before the pull, API_KEY edited since

    stale = shop.ok("encrypt", ".env", "-o", ".env.enc", "--force")
    again = shop.ok("encrypt", ".env", "-o", ".env.enc", "--force")
    other = shop.ok("encrypt", ".env", "-o", ".env.enc", "--force", "--env", "staging")

    assert "values changed: API_KEY, LAST\n" in stale.stderr
    assert "values changed: none\n" in again.stderr
    assert "values changed" not in other.stderr  # another key: every value encrypted afresh
    assert "pulled-value" not in stale.stderr + stale.stdout
    assert sealed.read_text().startswith("# envkeep-encrypted:v2 env=staging ")


def test_cli_reencrypting_to_another_environment_changes_every_value(shop: Envkeep) -> None:
    old, new = encrypt_twice(shop, ("--env", "dev"), ("--env", "staging"), after=BEFORE)

    assert " env=staging " in new.partition("\n")[0]
    assert_nothing_kept(old, new)
    assert decrypted(shop) == BEFORE.encode()


def test_cli_reencrypting_over_a_tampered_file_encrypts_it_afresh(shop: Envkeep) -> None:
    (shop.cwd / ".env").write_bytes(BEFORE.encode())
    quick_ok(shop, "encrypt", ".env", "-o", ".env.enc")
    sealed = shop.cwd / ".env.enc"
    tampered = _flip_a_character_of_one_ciphertext(sealed.read_text(encoding="utf-8"))
    sealed.write_text(tampered, encoding="utf-8")

    result = shop("encrypt", ".env", "-o", ".env.enc", "--force")

    assert result.code == 0, result.describe()
    assert_nothing_kept(tampered, sealed.read_text(encoding="utf-8"))
    assert decrypted(shop) == BEFORE.encode()


def test_cli_without_force_leaves_the_encrypted_file_as_it_was(shop: Envkeep) -> None:
    (shop.cwd / ".env").write_bytes(BEFORE.encode())
    quick_ok(shop, "encrypt", ".env", "-o", ".env.enc")
    before = (shop.cwd / ".env.enc").read_bytes()
    (shop.cwd / ".env").write_bytes(AFTER.encode())

    refused = quick(shop, "encrypt", ".env", "-o", ".env.enc")

    assert refused.code == 1
    assert (shop.cwd / ".env.enc").read_bytes() == before


def test_cli_names_no_changed_values_over_a_file_whose_ciphertexts_it_could_not_keep(
    shop: Envkeep,
) -> None:
    # git's core.autocrlf converted the committed file's line endings: it no longer verifies,
    # so every value is encrypted afresh, and none of them changed.
    plain, sealed = shop.cwd / ".env", shop.cwd / ".env.enc"
    plain.write_bytes(BEFORE.encode())
    quick_ok(shop, "encrypt", ".env", "-o", ".env.enc")
    sealed.write_bytes(sealed.read_bytes().replace(b"\n", b"\r\n"))

    done = shop.ok("encrypt", ".env", "-o", ".env.enc", "--force")

    assert "values changed" not in done.stderr
    assert decrypted(shop) == BEFORE.encode()
