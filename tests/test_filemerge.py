"""Merging encrypted .env files in git: `envkeep git-setup` routes them to `envkeep merge-file`,
which merges two branches' edits value by value, or leaves our side untouched and names the
conflicting variables; a file git merged line by line gets a hint pointing at the driver."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from envkeep.core.dotenv_merge import merge_dotenv
from tests import filecrypt_v1 as v1
from tests.cli.conftest import ENVKEEP, Envkeep, quick_ok

PASSPHRASE = "correct horse battery staple"
BASE = "# database\nDB_URL=postgres://base-url\nDB_PASS='base-pass'\n\nAPI_KEY=base-key\n"
KEYS = {"env": ("--env", "dev"), "passphrase": ("--passphrase",)}


# --- the merge of plain texts ------------------------------------------------------------------


def test_changes_to_neighbouring_values_merge() -> None:
    ours = BASE.replace("postgres://base-url", "postgres://ours-url")
    theirs = BASE.replace("'base-pass'", "'theirs pass'")

    merged = merge_dotenv(BASE, ours, theirs)

    assert merged.conflicts == ()
    assert merged.text == ours.replace("'base-pass'", "'theirs pass'")


def test_the_same_value_changed_differently_is_a_conflict_naming_it() -> None:
    ours = BASE.replace("base-key", "ours-key")
    theirs = BASE.replace("base-key", "theirs-key")

    merged = merge_dotenv(BASE, ours, theirs)

    assert merged.text is None
    assert merged.conflicts == ("API_KEY",)
    assert "key" not in repr(merged).replace("API_KEY", "")


def test_a_name_given_twice_that_both_sides_changed_is_a_conflict() -> None:
    # Merged occurrence by occurrence, theirs (A=3) would land in the first A while ours
    # appended A=2 after it: the file would read A=2, their change lost without a word.
    merged = merge_dotenv("A=1\n", "A=1\nA=2\n", "A=3\n")

    assert merged.text is None
    assert merged.conflicts == ("A",)
    one_side = merge_dotenv("A=1\nB=1\n", "A=1\nB=1\nA=2\n", "A=1\nB=2\n")
    assert one_side.text == "A=1\nB=2\nA=2\n"  # only ours changed A: no clash


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    both = BASE.replace("base-key", "same-key")

    assert merge_dotenv(BASE, both, both).text == both


def test_variables_added_at_the_same_place_are_both_kept_ours_first() -> None:
    merged = merge_dotenv(BASE, BASE + "OURS_NEW=1\n", BASE + "THEIRS_NEW=2\n")

    assert merged.text == BASE + "OURS_NEW=1\nTHEIRS_NEW=2\n"


def test_a_variable_added_on_both_sides_with_different_values_is_a_conflict() -> None:
    merged = merge_dotenv(BASE, BASE + "NEW=1\n", BASE + "NEW=2\n")

    assert merged.conflicts == ("NEW",)


def test_a_deleted_variable_changed_on_the_other_side_is_a_conflict() -> None:
    ours = BASE.replace("API_KEY=base-key\n", "")
    theirs = BASE.replace("base-key", "theirs-key")

    assert merge_dotenv(BASE, ours, theirs).conflicts == ("API_KEY",)
    assert merge_dotenv(BASE, ours, BASE + "X=1\n").text == ours + "X=1\n"


def test_layout_changes_and_a_missing_final_newline_follow_the_side_that_made_them() -> None:
    ours = BASE.replace("# database", "# the database").removesuffix("\n")
    theirs = BASE.replace("DB_URL=postgres://base-url", "export DB_URL=postgres://theirs-url")

    merged = merge_dotenv(BASE, ours, theirs + "EXTRA=1  # added\n")

    assert merged.text == (
        "# the database\nexport DB_URL=postgres://theirs-url\nDB_PASS='base-pass'\n\n"
        "API_KEY=base-key\nEXTRA=1  # added"
    )


def test_a_comment_edited_differently_on_both_sides_is_a_conflict() -> None:
    merged = merge_dotenv(BASE, BASE.replace("database", "db"), BASE.replace("database", "DB"))

    assert merged.text is None
    assert merged.conflicts == ("the comment lines near '# database'",)


def test_no_common_ancestor_merges_as_two_additions() -> None:
    assert merge_dotenv("", "A=1\n", "B=2\n").text == "A=1\nB=2\n"


def test_neighbouring_lines_each_changed_on_one_side_merge_and_a_clash_names_only_its_own() -> None:
    ours = BASE.replace("# database", "# db").replace("base-key", "ours-key")
    theirs = BASE.replace("DB_URL=", "export DB_URL=").replace("base-key", "theirs-key")

    assert merge_dotenv(BASE, ours, BASE.replace("DB_URL=", "export DB_URL=")).text == (
        ours.replace("DB_URL=", "export DB_URL=")
    )
    assert merge_dotenv(BASE, ours, theirs).conflicts == ("API_KEY",)


# --- git, with the driver set up ---------------------------------------------------------------

SECRETS = ("base-url", "base-pass", "base-key", "ours-", "theirs-", "new-value")


@pytest.fixture
def repo(tmp_path: Path) -> Envkeep:
    """A project in a git repository with the merge driver set up; the plain files live
    outside it (in ``plain/``), and git's merges run with a temp directory of their own."""
    for name in ("home", "work", "plain", "tmp"):
        (tmp_path / name).mkdir()
    envkeep = Envkeep(tmp_path / "home", tmp_path / "work")
    quick_ok(envkeep, "init", "shop")
    git(envkeep, "init", "-q", "-b", "main")
    git(envkeep, "config", "user.email", "dev@example.com")
    git(envkeep, "config", "user.name", "dev")
    setup = envkeep.ok("git-setup")
    assert "merge.envkeep.driver" in setup.stderr
    return envkeep


def git(envkeep: Envkeep, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """git in the repository, with envkeep on PATH and the test's ENVKEEP_HOME."""
    bin_dir = Path(ENVKEEP[0]).parent
    env = envkeep.environ(
        {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "TMPDIR": str(envkeep.cwd.parent / "tmp"),
            "ENVKEEP_FILE_PASSPHRASE": PASSPHRASE,
        }
    )
    done = subprocess.run(
        ["git", *args], cwd=envkeep.cwd, env=env, capture_output=True, text=True, check=False
    )
    assert not ok or done.returncode == 0, done
    return done


def commit_version(envkeep: Envkeep, text: str, key: tuple[str, ...], message: str) -> None:
    plain = envkeep.cwd.parent / "plain" / ".env"
    plain.write_bytes(text.encode())
    env = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    quick_ok(envkeep, "encrypt", str(plain), "-o", ".env.enc", "--force", *key, env=env)
    git(envkeep, "add", "-A")
    git(envkeep, "commit", "-qm", message)


def branches(envkeep: Envkeep, key: tuple[str, ...], ours: str, theirs: str) -> bytes:
    """BASE on main, ``theirs`` on branch feature, ``ours`` on main; our encrypted file."""
    commit_version(envkeep, BASE, key, "base")
    git(envkeep, "checkout", "-qb", "feature")
    commit_version(envkeep, theirs, key, "theirs")
    git(envkeep, "checkout", "-q", "main")
    commit_version(envkeep, ours, key, "ours")
    return (envkeep.cwd / ".env.enc").read_bytes()


def decrypted(envkeep: Envkeep) -> str:
    result = envkeep.ok(
        "decrypt", ".env.enc", "-o", "-", env={"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    )
    return result.stdout


def plaintext_left(envkeep: Envkeep) -> list[str]:
    """Files of the repository (git's own included) or of git's temp directory that hold a
    value in clear."""
    roots = (envkeep.cwd, envkeep.cwd.parent / "tmp")
    files = [path for root in roots for path in root.rglob("*") if path.is_file()]
    return [str(path) for path in files if any(s.encode() in path.read_bytes() for s in SECRETS)]


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_git_merges_branches_that_changed_different_values(
    repo: Envkeep, key: tuple[str, ...]
) -> None:
    ours = BASE.replace("base-url", "ours-url")
    theirs = BASE.replace("'base-pass'", "'theirs-pass'") + "NEW=new-value\n"
    ours_file = branches(repo, key, ours, theirs)

    merge = git(repo, "merge", "feature", "-m", "merged")

    assert "merged .env.enc value by value" in merge.stderr
    assert decrypted(repo) == ours.replace("'base-pass'", "'theirs-pass'") + "NEW=new-value\n"
    kept = [line for line in ours_file.decode().splitlines()[1:] if not line.startswith("DB_P")]
    assert all(line in (repo.cwd / ".env.enc").read_text() for line in kept)
    assert git(repo, "status", "--porcelain").stdout == ""
    assert plaintext_left(repo) == []


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_value_taken_from_their_side_keeps_their_line(
    repo: Envkeep, key: tuple[str, ...]
) -> None:
    # Their line re-encrypted afresh would show in the merge commit's combined diff as a
    # change the merge itself made (a value unlike both parents'), and in a rebase as a
    # change to the commit replayed.
    ours = BASE.replace("base-url", "ours-url")
    theirs = BASE.replace("'base-pass'", "'theirs-pass'") + "NEW=new-value\n"
    branches(repo, key, ours, theirs)
    theirs_file = git(repo, "show", "feature:.env.enc").stdout.splitlines()

    git(repo, "merge", "feature", "-m", "merged")

    merged = (repo.cwd / ".env.enc").read_text().splitlines()
    taken = [line for line in theirs_file if line.startswith(("DB_PASS=", "NEW="))]
    assert len(taken) == 2
    assert all(line in merged for line in taken)
    combined = git(repo, "show", "--format=", "HEAD").stdout.splitlines()
    changed = [line[:10] for line in combined if line.startswith("++") and line[2:3] != "+"]
    assert changed == ["++# envkee"]  # the mac alone


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_variable_their_side_deleted_above_ours_leaves_our_other_lines_as_they_were(
    repo: Envkeep, key: tuple[str, ...]
) -> None:
    # A value's ciphertext is bound to its name, not its position: the entries below the
    # deleted one keep our ciphertexts, so the merge's diff shows the deletion and no more.
    ours = BASE.replace("base-key", "ours-key")
    theirs = BASE.replace("DB_URL=postgres://base-url\n", "")
    ours_file = branches(repo, key, ours, theirs).decode()

    git(repo, "merge", "feature", "-m", "merged")

    merged = (repo.cwd / ".env.enc").read_text()
    kept = [line for line in ours_file.split("\n")[1:] if not line.startswith("DB_URL=")]
    assert merged.split("\n")[1:] == kept
    assert decrypted(repo) == ours.replace("DB_URL=postgres://base-url\n", "")


def test_a_variable_their_side_inserted_first_leaves_our_lines_as_they_were(
    repo: Envkeep,
) -> None:
    ours = BASE.replace("base-key", "ours-key")
    theirs = "FIRST=new-value\n" + BASE
    ours_file = branches(repo, KEYS["env"], ours, theirs).decode()

    git(repo, "merge", "feature", "-m", "merged")

    merged = (repo.cwd / ".env.enc").read_text()
    assert merged.split("\n")[1].startswith("FIRST=enc:v1:")
    assert merged.split("\n")[2:] == ours_file.split("\n")[1:]
    assert decrypted(repo) == "FIRST=new-value\n" + ours


def test_files_of_the_old_format_merge_and_the_merge_converts_ours(repo: Envkeep) -> None:
    # Base and ours as the release before wrote them (values bound to positions); theirs
    # encrypted over one by this release (bound to names, the same passphrase and salt).
    sealed = repo.cwd / ".env.enc"
    sealed.write_bytes(v1.BASE_FILE.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base, old format")
    git(repo, "checkout", "-qb", "feature")
    theirs = v1.BASE_PLAIN.replace("API_KEY=base-key\n", "")
    commit_version(repo, theirs, KEYS["passphrase"], "theirs")
    git(repo, "checkout", "-q", "main")
    sealed.write_bytes(v1.OURS_FILE.encode())
    git(repo, "commit", "-qam", "ours, old format")

    merge = git(repo, "merge", "feature", "-m", "merged")

    assert "merged .env.enc value by value" in merge.stderr
    assert decrypted(repo) == v1.OURS_PLAIN.replace("API_KEY=base-key\n", "")
    assert sealed.read_text().startswith("# envkeep-encrypted:v2 kdf=argon2id ")
    assert git(repo, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_git_merge_of_one_value_changed_on_both_sides_conflicts_and_keeps_ours(
    repo: Envkeep, key: tuple[str, ...]
) -> None:
    ours = BASE.replace("base-key", "ours-key").replace("base-url", "ours-url")
    theirs = BASE.replace("base-key", "theirs-key")
    ours_file = branches(repo, key, ours, theirs)

    merge = git(repo, "merge", "feature", "-m", "merged", ok=False)

    assert merge.returncode != 0
    assert "CONFLICT" in merge.stdout
    assert "the two sides do not merge on API_KEY (both changed it, differently)" in merge.stderr
    assert "git show :3:.env.enc | envkeep decrypt - -o -" in merge.stderr
    assert "envkeep decrypt .env.enc -o .env.merge (ours)" in merge.stderr  # not the source
    assert not any(secret in merge.stdout + merge.stderr for secret in SECRETS)
    assert (repo.cwd / ".env.enc").read_bytes() == ours_file
    assert decrypted(repo) == ours
    theirs_side = git(repo, "show", ":3:.env.enc").stdout
    shown = repo.ok("decrypt", "-", stdin=theirs_side, env={"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE})
    assert shown.stdout == theirs
    assert plaintext_left(repo) == []


def test_a_conflict_names_their_other_changes_the_file_left_as_ours_lacks(
    repo: Envkeep,
) -> None:
    # The file is left as our side: resolving only the name in conflict, as the message
    # asked, committed our DB_PASS and no NEW, dropping their clean changes without a word.
    ours = BASE.replace("base-key", "ours-key").replace("base-url", "ours-url")
    theirs = BASE.replace("base-key", "theirs-key").replace("base-pass", "theirs-pass")
    branches(repo, KEYS["env"], ours, theirs + "NEW=new-value\n")

    merge = git(repo, "merge", "feature", "-m", "merged", ok=False)

    assert "do not merge on API_KEY (both changed it, differently)" in merge.stderr
    assert "it lacks their changes to DB_PASS, NEW, which do merge: take them" in merge.stderr
    assert not any(secret in merge.stdout + merge.stderr for secret in SECRETS)


def test_a_rebase_conflict_names_the_sides_as_a_rebase_has_them(repo: Envkeep) -> None:
    # Rebasing feature onto main: git's "ours" is main's file, "theirs" the commit replayed.
    key = KEYS["passphrase"]
    ours = BASE.replace("base-key", "ours-key")
    theirs = BASE.replace("base-key", "theirs-key")
    branches(repo, key, ours, theirs)
    git(repo, "checkout", "-q", "feature")

    rebase = git(repo, "rebase", "main", ok=False)

    assert rebase.returncode != 0
    said = rebase.stdout + rebase.stderr
    assert "left as the side you are rebasing onto (git's ours in a rebase)" in said, said
    assert "envkeep decrypt .env.enc -o .env.merge (upstream)" in said
    assert "envkeep decrypt - -o - (your commit)" in said
    assert decrypted(repo) == ours  # main's, as git's ours
    git(repo, "rebase", "--abort")


def test_git_setup_is_idempotent_and_keeps_the_attributes_there(repo: Envkeep) -> None:
    attributes = repo.cwd / ".gitattributes"
    attributes.write_text("*.png binary\n" + attributes.read_text())

    again = repo.ok("git-setup", "*.env.enc", "secrets.enc")

    assert attributes.read_text() == (
        "*.png binary\n*.env.enc merge=envkeep -text\n.env.*.enc merge=envkeep -text\n"
        "secrets.enc merge=envkeep -text\n"
    )
    assert "routes *.env.enc to envkeep already" in again.stderr
    driver = git(repo, "config", "merge.envkeep.driver").stdout
    assert driver.endswith("merge-file %O %A %B %P\n")


def test_git_setup_run_again_says_nothing_changed_and_asks_for_no_commit(repo: Envkeep) -> None:
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-q", "-m", "envkeep merge driver")

    again = repo.ok("git-setup")
    git(repo, "config", "--unset", "merge.envkeep.driver")  # a fresh clone: config only
    clone = repo.ok("git-setup")

    assert "everything was set up already; nothing changed" in again.err_lines
    assert not any("commit" in line or "set in" in line for line in again.err_lines)
    assert git(repo, "status", "--porcelain", ".gitattributes").stdout == ""
    assert any(line.startswith("set in this clone's git config:") for line in clone.err_lines)
    assert not any("commit" in line or "nothing changed" in line for line in clone.err_lines)


def test_a_clone_with_autocrlf_checks_encrypted_files_out_as_they_were_written(
    repo: Envkeep,
) -> None:
    # The mac covers the line endings: converted to CRLF by core.autocrlf (Git for Windows'
    # default), every encrypted file failed to decrypt, and a restore converted it again.
    commit_version(repo, BASE, KEYS["passphrase"], "base")
    clone = repo.cwd.parent / "clone"
    git(repo, "-c", "core.autocrlf=true", "clone", "-q", str(repo.cwd), str(clone))

    assert (clone / ".env.enc").read_bytes() == (repo.cwd / ".env.enc").read_bytes()
    shown = Envkeep(repo.home, clone).ok(
        "decrypt", ".env.enc", "-o", "-", env={"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
    )
    assert shown.stdout == BASE


def test_git_setup_marks_the_lines_an_earlier_one_wrote_text_free(repo: Envkeep) -> None:
    attributes = repo.cwd / ".gitattributes"
    attributes.write_text("*.env.enc merge=envkeep\r\nsecret.enc merge=envkeep eol=crlf\n")

    again = repo.ok("git-setup", "*.env.enc", "secret.enc")

    assert attributes.read_bytes() == (
        b"*.env.enc merge=envkeep -text\r\nsecret.enc merge=envkeep eol=crlf\n"
    )
    assert "marked *.env.enc -text in" in again.stderr


def test_git_setup_unsets_text_last_where_a_later_line_sets_text_auto(repo: Envkeep) -> None:
    # The last line that sets an attribute wins: -text added to an earlier git-setup's line
    # above `* text=auto` changed nothing, and a clone with core.autocrlf converted the files.
    attributes = repo.cwd / ".gitattributes"
    attributes.write_text("*.env.enc merge=envkeep\n* text=auto\n*.sh merge=envkeep eol=lf\n")

    done = repo.ok("git-setup", "*.env.enc", "*.sh")

    shown = git(repo, "check-attr", "text", "eol", "--", "x.env.enc", "x.sh").stdout
    assert shown.splitlines() == [
        "x.env.enc: text: unset",
        "x.env.enc: eol: unspecified",
        "x.sh: text: auto",  # a user's own choice of line endings stands
        "x.sh: eol: lf",
    ]
    assert "marked *.env.enc -text in" in done.stderr
    assert repo.ok("git-setup", "*.env.enc", "*.sh").stderr.count("marked") == 0  # idempotent


def test_git_setup_leaves_a_commented_out_line_alone(repo: Envkeep) -> None:
    attributes = repo.cwd / ".gitattributes"
    attributes.write_text("# was: *.env.enc merge=envkeep\n")

    done = repo.ok("git-setup", "*.env.enc")

    assert attributes.read_text() == (
        "# was: *.env.enc merge=envkeep\n*.env.enc merge=envkeep -text\n"
    )
    assert "marked" not in done.stderr
    assert "routes #" not in done.stderr


def test_a_file_git_merged_line_by_line_points_at_the_driver(repo: Envkeep) -> None:
    (repo.cwd / ".gitattributes").unlink()  # a repository without the driver
    ours = BASE.replace("base-key", "ours-key")
    branches(repo, KEYS["env"], ours, BASE.replace("base-url", "theirs-url"))
    git(repo, "merge", "feature", "-m", "merged", ok=False)  # the header's mac conflicts

    marked = repo("decrypt", ".env.enc", "-o", "-")
    lines = git(repo, "show", "main:.env.enc").stdout.splitlines(keepends=True)
    lines[2] = git(repo, "show", "feature:.env.enc").stdout.splitlines(keepends=True)[2]
    (repo.cwd / ".env.enc").write_text("".join(lines))  # a correct resolution, by hand
    edited = repo("decrypt", ".env.enc", "-o", "-")

    assert "left conflict markers in it" in marked.stderr
    assert "the file was changed outside its values" not in marked.stderr
    for refused in (marked, edited):
        assert refused.code != 0
        assert "envkeep git-setup" in refused.stderr
        assert "git checkout -m .env.enc" in refused.stderr
    repo.ok("git-setup")
    git(repo, "checkout", "-m", ".env.enc")
    assert decrypted(repo) == ours.replace("base-url", "theirs-url")


def test_a_conflict_marker_left_in_a_file_is_named_by_its_line_and_nothing_is_written(
    repo: Envkeep,
) -> None:
    commit_version(repo, BASE, KEYS["env"], "base")
    sealed = (repo.cwd / ".env.enc").read_text().splitlines(keepends=True)
    sealed.insert(3, ">>>>>>> feature\n")  # one marker a hand resolution missed
    (repo.cwd / ".env.enc").write_text("".join(sealed))
    (repo.cwd / ".env").write_text("KEEP=me\n")

    refused = repo("decrypt", ".env.enc", "--force")

    assert refused.code != 0
    assert ".env.enc: line 4: git merged this file line by line" in refused.stderr
    assert (repo.cwd / ".env").read_text() == "KEEP=me\n"


def test_a_side_encrypted_to_another_key_is_a_conflict_not_ours_key(repo: Envkeep) -> None:
    """Their branch moved the file to prod's key (and added a value sealed to it): a merge
    encrypted to our key (dev's) would give dev's readers a value its author sealed to prod."""
    commit_version(repo, BASE, ("--env", "dev"), "base")
    git(repo, "checkout", "-qb", "feature")
    commit_version(repo, BASE + "PROD_ONLY=new-value\n", ("--env", "prod"), "to prod")
    git(repo, "checkout", "-q", "main")
    ours = BASE.replace("base-url", "ours-url")
    commit_version(repo, ours, ("--env", "dev"), "ours")
    ours_file = (repo.cwd / ".env.enc").read_bytes()

    merge = git(repo, "merge", "feature", "-m", "merged", ok=False)

    assert merge.returncode != 0
    assert "encrypted to different keys (environment dev on ours, environment prod on theirs)" in (
        merge.stderr
    )
    assert (repo.cwd / ".env.enc").read_bytes() == ours_file
    assert plaintext_left(repo) == []


def test_a_side_under_another_passphrase_is_a_conflict_naming_the_keys(repo: Envkeep) -> None:
    """Our branch moved the file to a new passphrase (`reencrypt --new-passphrase`): no one
    passphrase opens every version, which is said as such, not as a wrong passphrase."""
    commit_version(repo, BASE, ("--passphrase",), "base")
    git(repo, "checkout", "-qb", "feature")
    commit_version(repo, BASE.replace("base-key", "theirs-key"), ("--passphrase",), "theirs")
    git(repo, "checkout", "-q", "main")
    plain = repo.cwd.parent / "plain" / ".env"
    plain.write_bytes(BASE.replace("base-url", "ours-url").encode())
    moved = {"ENVKEEP_FILE_PASSPHRASE": "a new passphrase for ours"}
    quick_ok(repo, "encrypt", str(plain), "-o", ".env.enc", "--force", "--passphrase", env=moved)
    git(repo, "commit", "-qam", "ours, moved to a new passphrase")
    ours_file = (repo.cwd / ".env.enc").read_bytes()

    merge = git(repo, "merge", "feature", "-m", "merged", ok=False)

    assert merge.returncode != 0
    assert "its versions are encrypted to different keys (a passphrase (salt" in merge.stderr
    assert "wrong passphrase" not in merge.stderr
    assert "merge the plain files by hand" in merge.stderr
    assert (repo.cwd / ".env.enc").read_bytes() == ours_file
    assert plaintext_left(repo) == []


def test_the_driver_names_the_envkeep_that_set_it_up_by_its_path(repo: Envkeep) -> None:
    """A merge from a GUI or an IDE whose PATH lacks the venv still starts the driver: the
    path is written even where PATH finds this envkeep (as in an activated venv)."""
    on_path = f"{Path(ENVKEEP[0]).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    repo.ok("git-setup", env={"PATH": on_path})
    program = shlex.split(git(repo, "config", "merge.envkeep.driver").stdout)[0]

    assert Path(program).is_absolute(), program
    assert Path(program).is_file(), program
    assert os.access(program, os.X_OK), program


def test_a_value_deleted_on_one_side_and_changed_on_the_other_is_said_so(repo: Envkeep) -> None:
    ours = BASE.replace("base-key", "ours-key")
    theirs = BASE.replace("API_KEY=base-key\n", "")
    ours_file = branches(repo, KEYS["env"], ours, theirs)

    merge = git(repo, "merge", "feature", "-m", "merged", ok=False)

    assert merge.returncode != 0
    said = "the two sides do not merge on API_KEY (theirs deleted it, ours changed it)"
    assert said in merge.stderr, merge.stderr
    assert (repo.cwd / ".env.enc").read_bytes() == ours_file


def test_a_conflict_says_what_each_side_did_to_each_name() -> None:
    from envkeep.client.filemerge import MERGE_SIDES, _disagreements

    plain = {
        "base": "A=1\nA=2\nB=1\nD=1\n",
        "ours": "A=1\nB=2\nC=ours\nD=2\n",  # the second A deleted
        "theirs": "A=1\nA=3\nB=3\nC=theirs\n",  # D deleted
    }
    names = ("A", "B", "C", "D", "the comment lines near '# x'")

    assert _disagreements(names, plain, MERGE_SIDES) == (
        "A (ours deleted it, theirs changed it), B (both changed it, differently),"
        " C (both added it, differently), D (theirs deleted it, ours changed it),"
        " the comment lines near '# x'"
    )


def test_a_deletion_beside_a_changed_comment_says_the_other_side_changed_a_line_next_to_it() -> (
    None
):
    """Ours deleted X with its comment, theirs changed only the comment: theirs did not change
    X, and the conflict said it had."""
    from envkeep.client.filemerge import MERGE_SIDES, _disagreements

    plain = {"base": "# db\nX=1\nY=2\n", "ours": "Y=2\n", "theirs": "# database\nX=1\nY=2\n"}
    merged = merge_dotenv(plain["base"], plain["ours"], plain["theirs"])

    assert merged.conflicts == ("X",)
    assert _disagreements(merged.conflicts, plain, MERGE_SIDES) == (
        "X (ours deleted it, theirs changed a line next to it)"
    )
