"""`encrypt` writing a file under a new name after `git-setup` ran says git would merge it line
by line, and to run `git-setup` again: it was silent, and the file's mac= line conflicted on
the first merge. .gitattributes is left as it is. In a real git repository."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.cli.conftest import Envkeep, quick_ok
from tests.test_filemerge import PASSPHRASE, git

if TYPE_CHECKING:
    from pathlib import Path

KEY = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}
WARNING = "warning: git would merge {} line by line: no .gitattributes line routes it to"
HINT = "hint: git add {}, then run envkeep git-setup (it adds the line for each tracked file)"


@pytest.fixture
def repo(tmp_path: Path) -> Envkeep:
    for name in ("home", "work"):
        (tmp_path / name).mkdir()
    envkeep = Envkeep(tmp_path / "home", tmp_path / "work")
    quick_ok(envkeep, "init", "shop")
    git(envkeep, "init", "-q", "-b", "main")
    return envkeep


def _encrypt(repo: Envkeep, out: str) -> str:
    encrypt = ("encrypt", "-", "-o", out, "--passphrase", "--force")
    return repo.ok(*encrypt, stdin="A=1\n", env=KEY).stderr


def test_encrypt_under_a_new_name_after_git_setup_says_to_run_it_again(repo: Envkeep) -> None:
    repo.ok("git-setup")
    attributes = (repo.cwd / ".gitattributes").read_text(encoding="utf-8")

    said = _encrypt(repo, ".env.production")

    assert WARNING.format(".env.production") in said
    assert HINT.format(".env.production") in said
    assert (repo.cwd / ".gitattributes").read_text(encoding="utf-8") == attributes
    git(repo, "add", ".env.production")
    repo.ok("git-setup")
    assert "warning" not in _encrypt(repo, ".env.production")


def test_encrypt_says_nothing_of_a_routed_file_or_without_git_setup(repo: Envkeep) -> None:
    before_setup = _encrypt(repo, ".env.production")
    repo.ok("git-setup")
    (repo.cwd / ".gitignore").write_text("local.secret\n", encoding="utf-8")

    routed = _encrypt(repo, "app.env.enc")
    ignored = _encrypt(repo, "local.secret")

    assert "warning" not in before_setup
    assert "warning" not in routed
    assert "warning" not in ignored
