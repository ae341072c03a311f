"""`git-setup` routes the tracked envkeep-encrypted files its patterns miss by their own paths:
`.env.production`, encrypted in place, got no merge driver ("merge: unspecified"), so two
branches editing it conflicted on its mac= line. In a real git repository."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.cli.conftest import Envkeep, quick_ok
from tests.test_filemerge import PASSPHRASE, git

if TYPE_CHECKING:
    from pathlib import Path

IN_PLACE = "services/api/.env.production"
BASE = "A=base-a\nB=base-b\n"
KEY = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}


@pytest.fixture
def repo(tmp_path: Path) -> Envkeep:
    """A project in a git repository (no git-setup yet) that tracks IN_PLACE, encrypted in
    place to a passphrase, and a plain .env.example."""
    for name in ("home", "work", "tmp"):
        (tmp_path / name).mkdir()
    envkeep = Envkeep(tmp_path / "home", tmp_path / "work")
    quick_ok(envkeep, "init", "shop")
    git(envkeep, "init", "-q", "-b", "main")
    git(envkeep, "config", "user.email", "dev@example.com")
    git(envkeep, "config", "user.name", "dev")
    (envkeep.cwd / ".env.example").write_text("A=\n", encoding="utf-8")
    _commit_in_place(envkeep, BASE, "base")
    return envkeep


def _commit_in_place(envkeep: Envkeep, text: str, message: str) -> None:
    target = envkeep.cwd / IN_PLACE
    target.parent.mkdir(parents=True, exist_ok=True)
    encrypt = ("encrypt", "-", "-o", IN_PLACE, "--force", "--passphrase")
    envkeep.ok(*encrypt, stdin=text, env=KEY)
    git(envkeep, "add", "-A")
    git(envkeep, "commit", "-qm", message)


def _merge_attribute(envkeep: Envkeep, path: str) -> str:
    return git(envkeep, "check-attr", "merge", "--", path).stdout.rsplit(": ", 1)[-1].strip()


def test_a_tracked_encrypted_file_no_pattern_covers_is_routed_by_its_path(repo: Envkeep) -> None:
    assert _merge_attribute(repo, IN_PLACE) == "unspecified"

    done = repo.ok("git-setup")

    assert f"files no pattern covers: /{IN_PLACE} merge=envkeep -text" in done.stderr
    assert f"/{IN_PLACE} merge=envkeep -text\n" in (repo.cwd / ".gitattributes").read_text()
    assert _merge_attribute(repo, IN_PLACE) == "envkeep"
    assert _merge_attribute(repo, ".env.example") == "unspecified"
    assert "everything was set up already" in repo.ok("git-setup").stderr


def test_branches_editing_the_file_encrypted_in_place_merge_value_by_value(
    repo: Envkeep,
) -> None:
    repo.ok("git-setup")
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    git(repo, "checkout", "-qb", "feature")
    _commit_in_place(repo, "A=base-a\nB=theirs-b\n", "theirs")
    git(repo, "checkout", "-q", "main")
    _commit_in_place(repo, "A=ours-a\nB=base-b\n", "ours")

    merge = git(repo, "merge", "feature", "-m", "merged")

    assert f"merged {IN_PLACE} value by value" in merge.stderr
    opened = repo.ok("decrypt", IN_PLACE, "-o", "-", env=KEY)
    assert opened.stdout == "A=ours-a\nB=theirs-b\n"


def test_a_file_whose_name_a_line_cannot_hold_is_named_with_what_to_do(repo: Envkeep) -> None:
    spaced = repo.cwd / "my secrets.enc"
    spaced.write_bytes((repo.cwd / IN_PLACE).read_bytes())
    git(repo, "add", "-A")

    done = repo.ok("git-setup")

    assert "not added: my secrets.enc, tracked and envkeep-encrypted" in done.stderr
    assert "add a pattern that matches it (merge=envkeep -text) by hand" in done.stderr
