"""`envkeep reencrypt`: an encrypted .env file brought in place under its environment's current
key after a rotation, or a passphrase file under a new passphrase (``--new-passphrase``), the
plain text in memory only. Decrypting the new file gives the bytes the old one gave; the file
keeps its name and mode, and nothing else appears beside it. A file under the current key, or
encrypted to a passphrase, is not rewritten without the flag, and one encrypted to a key is not
with it; an error in any file given leaves every one as it was.

Key rotations exist on a team server only (the embedded store refuses `env rotate-key`: nobody
else holds its keys), so there every file is under the current key and `reencrypt` says so;
the rest runs on both. The member granted after a rotation (who could not open the file
before, and can after) is the team story of tests/test_file_key_versions.py."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

from .config_fixtures import assert_one_line_error
from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

NO_ROTATION = "the embedded store has no key rotation"

# A BOM, comments, a blank line, `export`, both quotes, CRLF and LF mixed, a multi-line value,
# an empty one, non-ASCII text, a reference, and no newline at the very end.
ORIGINAL = (
    "\ufeff# shop settings\r\n"
    "export PORT=8080\r\n"
    "\r\n"
    'GREETING="say \\"hi\\" to ${USER}"  # shown at login\n'
    "SINGLE='literal ${NOT_A_REF}'\n"
    'CERT="-----BEGIN-----\nline two\n-----END-----"\n'
    "EMPTY=\n"
    "CITY=Zürich ✓\n"
    "# the end, without a newline"
).encode()
PASSPHRASE = {"ENVKEEP_FILE_PASSPHRASE": "correct horse battery staple"}


def _encrypted(envkeep: Envkeep, project: Path, name: str, *key: str) -> Path:
    """``name`` (ORIGINAL) encrypted to ``key`` (dev's by default), the plain file deleted."""
    plain = project / name
    plain.write_bytes(ORIGINAL)
    quick_ok(envkeep, "encrypt", name, "-o", f"{name}.enc", *key, env=PASSPHRASE)
    plain.unlink()
    return project / f"{name}.enc"


def _header(path: Path) -> str:
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff").split("\n")[0]


def _tree(project: Path) -> set[str]:
    return {str(path.relative_to(project)) for path in project.rglob("*")}


def _decrypted(envkeep: Envkeep, path: Path) -> bytes:
    return envkeep.ok("decrypt", str(path), "-o", "-").stdout.encode()


def test_a_file_from_before_a_rotation_is_re_encrypted_in_place_to_the_same_text(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, NO_ROTATION)
    sealed = _encrypted(envkeep, project, "app.env")
    sealed.chmod(0o640)
    before = _decrypted(envkeep, sealed)
    quick_ok(envkeep, "env", "rotate-key", "dev")
    files = _tree(project)

    done = envkeep("reencrypt", "app.env.enc")

    assert done.code == 0, done.describe()
    assert done.err_lines == [
        "re-encrypted app.env.enc with key version 2 of 'dev' (it was under version 1)"
    ]
    assert " key_version=2 check=" in _header(sealed)
    assert _decrypted(envkeep, sealed) == before == ORIGINAL
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o640
    assert _tree(project) == files  # no plain file, no temp file left


def test_encrypting_over_a_file_from_before_a_rotation_uses_the_current_key_and_says_so(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, NO_ROTATION)
    sealed = _encrypted(envkeep, project, "app.env")  # what a `git revert` may put back
    quick_ok(envkeep, "env", "rotate-key", "dev")
    (project / "app.env").write_bytes(ORIGINAL)

    done = envkeep("encrypt", "app.env", "-o", "app.env.enc", "--force")

    assert done.code == 0, done.describe()
    assert done.err_lines[:2] == [
        "wrote app.env.enc (encrypted to the key of environment 'dev')",
        (
            "every value was encrypted again with the current key: the file it replaced was"
            " under key version 1, from before a key rotation"
        ),
    ]
    assert " key_version=2 check=" in _header(sealed)


def test_several_files_are_re_encrypted_and_a_current_one_is_not_rewritten(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, NO_ROTATION)
    old = _encrypted(envkeep, project, "old.env")
    quick_ok(envkeep, "env", "rotate-key", "dev")
    current = _encrypted(envkeep, project, "current.env")
    untouched = current.stat()

    done = envkeep("reencrypt", "old.env.enc", str(current), "./old.env.enc")

    assert done.code == 0, done.describe()
    assert done.err_lines == [
        "re-encrypted old.env.enc with key version 2 of 'dev' (it was under version 1)",
        f"{current} is under the current key of 'dev' (version 2) already; left as it is",
    ]
    assert " key_version=2 check=" in _header(old)
    assert (current.stat().st_ino, current.stat().st_mtime_ns) == (
        untouched.st_ino,
        untouched.st_mtime_ns,
    )
    assert _decrypted(envkeep, old) == ORIGINAL


def test_a_file_under_the_current_key_is_said_to_be_and_not_rewritten(
    envkeep: Envkeep, project: Path
) -> None:
    sealed = _encrypted(envkeep, project, "app.env")
    untouched = sealed.stat()

    done = envkeep("reencrypt", "app.env.enc")

    assert done.code == 0, done.describe()
    assert done.err_lines == [
        "app.env.enc is under the current key of 'dev' (version 1) already; left as it is"
    ]
    assert (sealed.stat().st_ino, sealed.stat().st_mtime_ns) == (
        untouched.st_ino,
        untouched.st_mtime_ns,
    )


def test_a_passphrase_file_is_refused_with_what_to_do_instead(
    envkeep: Envkeep, project: Path
) -> None:
    by_passphrase = _encrypted(envkeep, project, "shared.env", "--passphrase")
    text = by_passphrase.read_bytes()

    refused = envkeep("reencrypt", "shared.env.enc", env=PASSPHRASE)

    assert refused.code == 2, refused.describe()
    assert_one_line_error(refused, "shared.env.enc is encrypted to a passphrase", "no key versions")
    assert refused.err_lines[1].startswith("hint: leave it out")
    assert refused.err_lines[1].endswith(
        "to change the file's passphrase instead: envkeep reencrypt --new-passphrase shared.env.enc"
    )
    assert by_passphrase.read_bytes() == text


def test_an_error_in_one_file_given_leaves_every_file_as_it_was(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, NO_ROTATION)
    old = _encrypted(envkeep, project, "old.env")
    by_passphrase = _encrypted(envkeep, project, "shared.env", "--passphrase")
    quick_ok(envkeep, "env", "rotate-key", "dev")
    texts = {path: path.read_bytes() for path in (old, by_passphrase)}
    files = _tree(project)

    refused = envkeep("reencrypt", "old.env.enc", "shared.env.enc", env=PASSPHRASE)

    assert refused.code == 2, refused.describe()
    assert_one_line_error(refused, "shared.env.enc is encrypted to a passphrase")
    assert {path: path.read_bytes() for path in texts} == texts  # old.env.enc too
    assert _tree(project) == files


def test_a_damaged_file_is_refused_as_decrypt_refuses_it_and_left_as_it_was(
    envkeep: Envkeep, project: Path
) -> None:
    sealed = _encrypted(envkeep, project, "app.env")
    text = sealed.read_bytes().replace(b"export PORT=", b"export PORTS=")
    sealed.write_bytes(text)
    files = _tree(project)

    refused = envkeep("reencrypt", "app.env.enc")

    assert refused.code == 1, refused.describe()
    assert_one_line_error(refused, "app.env.enc: line 3", "'PORTS' failed verification")
    assert sealed.read_bytes() == text
    assert _tree(project) == files


def test_a_symbolic_link_keeps_pointing_at_the_re_encrypted_file(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    server_only(homes, NO_ROTATION)
    sealed = _encrypted(envkeep, project, "app.env")
    quick_ok(envkeep, "env", "rotate-key", "dev")
    link = project / "link.env.enc"
    link.symlink_to(sealed.name)

    envkeep.ok("reencrypt", "link.env.enc")

    assert str(link.readlink()) == sealed.name
    assert " key_version=2 check=" in _header(sealed)
    assert _decrypted(envkeep, sealed) == ORIGINAL


def test_reencrypt_reads_no_stdin_and_refuses_a_plain_file(envkeep: Envkeep, project: Path) -> None:
    (project / "app.env").write_bytes(ORIGINAL)

    dash = envkeep("reencrypt", "-", stdin="X=1\n")
    plain = envkeep("reencrypt", "app.env")

    assert dash.code == plain.code == 2, dash.describe() + plain.describe()
    assert_one_line_error(dash, "reads no stdin")
    assert_one_line_error(plain, "app.env is not an envkeep-encrypted file")
    assert (project / "app.env").read_bytes() == ORIGINAL


# --- --new-passphrase ------------------------------------------------------------------------

NEW = "a brand new passphrase"
CHANGE = {**PASSPHRASE, "ENVKEEP_NEW_FILE_PASSPHRASE": NEW}


def _decrypted_with(envkeep: Envkeep, path: Path, passphrase: str) -> bytes:
    opened = envkeep("decrypt", str(path), "-o", "-", env={"ENVKEEP_FILE_PASSPHRASE": passphrase})
    assert opened.code == 0, opened.describe()
    return opened.stdout.encode()


def test_a_passphrase_file_is_re_encrypted_in_place_to_a_new_passphrase(
    envkeep: Envkeep, project: Path
) -> None:
    sealed = _encrypted(envkeep, project, "shared.env", "--passphrase")
    sealed.chmod(0o640)
    header = _header(sealed)
    files = _tree(project)

    done = envkeep("reencrypt", "--new-passphrase", "shared.env.enc", env=CHANGE)
    old = envkeep("decrypt", "shared.env.enc", "-o", "-", env=PASSPHRASE)

    assert done.code == 0, done.describe()
    assert done.err_lines == ["re-encrypted shared.env.enc to the new passphrase"]
    assert _decrypted_with(envkeep, sealed, NEW) == ORIGINAL
    assert old.code == 4, old.describe()
    assert_one_line_error(old, "shared.env.enc: wrong passphrase")
    assert " kdf=argon2id salt=" in _header(sealed)
    assert _header(sealed) != header  # a salt of its own
    assert stat.S_IMODE(sealed.stat().st_mode) == 0o640
    assert _tree(project) == files  # no plain file, no temp file left


def test_several_passphrase_files_change_together(envkeep: Envkeep, project: Path) -> None:
    first = _encrypted(envkeep, project, "a.env", "--passphrase")
    second = _encrypted(envkeep, project, "b.env", "--passphrase")

    done = envkeep("reencrypt", "--new-passphrase", "a.env.enc", "b.env.enc", env=CHANGE)

    assert done.code == 0, done.describe()
    assert done.err_lines == [
        "re-encrypted a.env.enc to the new passphrase",
        "re-encrypted b.env.enc to the new passphrase",
    ]
    assert _decrypted_with(envkeep, first, NEW) == _decrypted_with(envkeep, second, NEW)
    assert _decrypted_with(envkeep, first, NEW) == ORIGINAL


def test_a_file_that_does_not_open_leaves_the_ones_before_it_as_they_were(
    envkeep: Envkeep, project: Path
) -> None:
    first = _encrypted(envkeep, project, "a.env", "--passphrase")
    other = project / "c.env"
    other.write_bytes(ORIGINAL)
    quick_ok(
        envkeep, "encrypt", "c.env", "--passphrase", env={"ENVKEEP_FILE_PASSPHRASE": "not this one"}
    )
    text = first.read_bytes()

    refused = envkeep("reencrypt", "--new-passphrase", "a.env.enc", "c.env.enc", env=CHANGE)

    assert refused.code == 4, refused.describe()
    assert_one_line_error(refused, "c.env.enc: wrong passphrase", "; nothing was written")
    assert first.read_bytes() == text
    assert _decrypted_with(envkeep, first, PASSPHRASE["ENVKEEP_FILE_PASSPHRASE"]) == ORIGINAL


def test_a_key_file_is_refused_by_new_passphrase_with_the_command_it_takes(
    envkeep: Envkeep, project: Path
) -> None:
    by_passphrase = _encrypted(envkeep, project, "shared.env", "--passphrase")
    by_key = _encrypted(envkeep, project, "app.env")
    texts = {path: path.read_bytes() for path in (by_passphrase, by_key)}

    refused = envkeep("reencrypt", "--new-passphrase", "shared.env.enc", "app.env.enc", env=CHANGE)

    assert refused.code == 2, refused.describe()
    assert_one_line_error(
        refused, "app.env.enc is encrypted to the key of environment 'dev', not to a passphrase"
    )
    assert refused.err_lines[1].endswith(
        "(re-encrypt this one without it: envkeep reencrypt app.env.enc)"
    )
    assert {path: path.read_bytes() for path in texts} == texts


def test_a_new_passphrase_that_is_the_old_one_or_missing_is_refused(
    envkeep: Envkeep, project: Path
) -> None:
    sealed = _encrypted(envkeep, project, "shared.env", "--passphrase")
    text = sealed.read_bytes()
    same = {**PASSPHRASE, "ENVKEEP_NEW_FILE_PASSPHRASE": PASSPHRASE["ENVKEEP_FILE_PASSPHRASE"]}

    again = envkeep("reencrypt", "--new-passphrase", "shared.env.enc", env=same)
    missing = envkeep("reencrypt", "--new-passphrase", "shared.env.enc", env=PASSPHRASE)

    assert again.code == missing.code == 2, again.describe() + missing.describe()
    assert_one_line_error(again, "the new passphrase is the one the files have now")
    assert_one_line_error(missing, "ENVKEEP_NEW_FILE_PASSPHRASE is not set")
    assert sealed.read_bytes() == text


def test_run_keeps_the_new_file_passphrase_from_its_command(
    envkeep: Envkeep, project: Path
) -> None:
    shown = envkeep(
        "run",
        "--",
        "sh",
        "-c",
        'echo "[$ENVKEEP_NEW_FILE_PASSPHRASE] $ENVKEEP_WITHHELD"',
        env=CHANGE,
    )

    assert shown.code == 0, shown.describe()
    assert shown.stdout.startswith("[] ")
    assert "ENVKEEP_NEW_FILE_PASSPHRASE" in shown.stdout
