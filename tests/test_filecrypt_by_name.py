"""Each value of an encrypted file is bound to its name, not its position (header ``:v2``):
adding, removing or reordering entries keeps every unchanged value's ciphertext line, while a
value moved to another name still fails and the mac still binds the order. Files the release
before wrote (``:v1``, values bound to their positions) still open, and convert once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from envkeep.client.filecrypt import (
    FileKey,
    decrypt_dotenv,
    encrypt_dotenv,
    environment_key,
    passphrase_key,
)
from envkeep.client.filecrypt_reuse import passphrase_key_for_replacing
from envkeep.core.errors import IntegrityError, WrongPassphrase
from tests import filecrypt_v1 as v1
from tests.cli.conftest import Envkeep, embedded_shop, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

PLAIN = "# app\nA=alpha-value\nB=bravo-value\nC=charlie-value\nD=delta-value\n"
TOKEN_RE = re.compile(r"enc:v1:[A-Za-z0-9_-]+")


@pytest.fixture
def env_key() -> FileKey:
    return environment_key(v1.DATA_KEY, env_id="env-1234", key_version=3, label="prod")


def body_lines(text: str) -> list[str]:
    """The lines below the header."""
    return text.split("\n")[1:]


def tokens(text: str) -> set[str]:
    return set(TOKEN_RE.findall(text))


def fails_at(text: str, key: bytes) -> str:
    with pytest.raises(IntegrityError) as caught:
        decrypt_dotenv(text, key)
    return str(caught.value)


# --- entries added, removed, reordered ---------------------------------------------------------


def test_deleting_an_entry_keeps_every_other_line(env_key: FileKey) -> None:
    old = encrypt_dotenv(PLAIN, env_key)
    after = PLAIN.replace("B=bravo-value\n", "")

    new = encrypt_dotenv(after, env_key, previous=old)

    assert body_lines(new) == [line for line in body_lines(old) if not line.startswith("B=")]
    assert decrypt_dotenv(new, env_key.key) == after


def test_inserting_an_entry_keeps_every_other_line(env_key: FileKey) -> None:
    old = encrypt_dotenv(PLAIN, env_key)
    after = PLAIN.replace("B=bravo-value\n", "B=bravo-value\nNEW=new-value\n")

    new = encrypt_dotenv(after, env_key, previous=old)

    assert [line for line in body_lines(new) if not line.startswith("NEW=")] == body_lines(old)
    assert decrypt_dotenv(new, env_key.key) == after


def test_reordering_entries_keeps_every_value_line(env_key: FileKey) -> None:
    old = encrypt_dotenv(PLAIN, env_key)
    after = "# app\nD=delta-value\nC=charlie-value\nB=bravo-value\nA=alpha-value\n"

    new = encrypt_dotenv(after, env_key, previous=old)

    assert body_lines(new) == [body_lines(old)[i] for i in (0, 4, 3, 2, 1, 5)]
    assert decrypt_dotenv(new, env_key.key) == after


def test_a_name_given_twice_keeps_its_occurrences_which_cannot_be_swapped(
    env_key: FileKey,
) -> None:
    # The last A wins where the file is read: its occurrences are bound in order, so the one
    # that wins cannot be exchanged, and each keeps its ciphertext when another entry goes.
    plain = "A=first-a\nB=bravo-value\nA=last-a\n"
    old = encrypt_dotenv(plain, env_key)
    new = encrypt_dotenv(plain.replace("B=bravo-value\n", ""), env_key, previous=old)
    assert body_lines(new) == [line for line in body_lines(old) if not line.startswith("B=")]

    first, last = TOKEN_RE.findall(new)
    swapped = new.replace(first, "@").replace(last, first).replace("@", last)
    assert "line 2: the encrypted value of 'A'" in fails_at(swapped, env_key.key)


def test_a_file_passed_off_as_the_old_format_is_refused_at_its_header(env_key: FileKey) -> None:
    # The check tag covers the header's first word: no downgrade to position-bound values.
    new = encrypt_dotenv(PLAIN, env_key)
    assert new.startswith("# envkeep-encrypted:v2 ")

    downgraded = new.replace(":v2 ", ":v1 ", 1)

    assert "or its header was changed" in fails_at(downgraded, env_key.key)


def test_a_passphrase_file_passed_off_as_the_old_format_is_a_wrong_passphrase() -> None:
    key = passphrase_key(v1.PASSPHRASE, salt=v1.SALT)
    new = encrypt_dotenv(v1.BASE_PLAIN, key)

    with pytest.raises(WrongPassphrase):
        decrypt_dotenv(new.replace(":v2 ", ":v1 ", 1), key.key)


# --- files of the old format -------------------------------------------------------------------


def test_an_old_format_file_opens_with_its_values_bound_to_positions(env_key: FileKey) -> None:
    assert decrypt_dotenv(v1.ENV_FILE, env_key.key) == v1.ENV_PLAIN
    lines = v1.ENV_FILE.split("\n")
    moved = "\n".join([lines[0], lines[2], lines[1], *lines[3:]])  # B above A

    assert "line 2: the encrypted value of 'B'" in fails_at(moved, env_key.key)


def test_encrypting_over_an_old_format_file_converts_it_once(env_key: FileKey) -> None:
    # The :v1 ciphertexts are bound to positions: none can be kept, every value is new once.
    after = v1.ENV_PLAIN.replace("B=bravo-value\n", "")

    converted = encrypt_dotenv(after, env_key, previous=v1.ENV_FILE)

    assert converted.startswith("# envkeep-encrypted:v2 env=prod ")
    assert tokens(converted) & tokens(v1.ENV_FILE) == set()
    assert decrypt_dotenv(converted, env_key.key) == after
    again = encrypt_dotenv(after.replace("A=alpha-value\n", ""), env_key, previous=converted)
    assert body_lines(again) == body_lines(converted)[1:]


def test_an_old_passphrase_file_keeps_its_salt_when_converted() -> None:
    key = passphrase_key_for_replacing(v1.PASSPHRASE, v1.OURS_FILE)

    converted = encrypt_dotenv(v1.OURS_PLAIN, key, previous=v1.OURS_FILE)

    old_key_fields = v1.OURS_FILE.partition(" check=")[0]
    assert converted.partition(" check=")[0] == old_key_fields.replace(":v1 ", ":v2 ", 1)
    assert decrypt_dotenv(converted, key.key) == v1.OURS_PLAIN


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Envkeep:
    """A project on the embedded store (environments dev, staging, prod)."""
    return embedded_shop(tmp_path)


def test_cli_encrypt_force_after_a_deletion_changes_only_that_line_and_the_mac(
    shop: Envkeep,
) -> None:
    plain, sealed = shop.cwd / "m.env", shop.cwd / "m.env.enc"
    plain.write_bytes(b"A=1\nB=2\nC=3\nD=4\n")
    quick_ok(shop, "encrypt", "m.env", "-o", "m.env.enc")
    before = sealed.read_text(encoding="utf-8")
    plain.write_bytes(b"A=1\nC=3\nD=4\n")

    shop.ok("encrypt", "m.env", "-o", "m.env.enc", "--force")

    after = sealed.read_text(encoding="utf-8")
    assert body_lines(after) == [line for line in body_lines(before) if not line.startswith("B=")]
    assert after.partition(" mac=")[0] == before.partition(" mac=")[0]


def test_cli_decrypts_an_old_format_file_and_converts_it_on_force(shop: Envkeep) -> None:
    env = {"ENVKEEP_FILE_PASSPHRASE": v1.PASSPHRASE}
    (shop.cwd / ".env.enc").write_bytes(v1.OURS_FILE.encode())

    shown = shop.ok("decrypt", ".env.enc", "-o", "-", env=env)
    (shop.cwd / ".env").write_bytes(shown.stdout.encode())
    shop.ok("encrypt", ".env", "-o", ".env.enc", "--force", "--passphrase", env=env)

    assert shown.stdout == v1.OURS_PLAIN
    converted = (shop.cwd / ".env.enc").read_text(encoding="utf-8")
    assert converted.startswith("# envkeep-encrypted:v2 kdf=argon2id salt=AAECAwQFBgcICQoLDA0ODw ")
    assert shop.ok("decrypt", ".env.enc", "-o", "-", env=env).stdout == v1.OURS_PLAIN
