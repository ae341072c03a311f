"""envkeep's questions to git run no program the repository's own config names: `encrypt`
asked `check-attr` and `check-ignore` (is the file routed to the merge driver?) and `ls-files`
(would git commit the source?) in whatever repository it wrote into, and each ran the
``core.fsmonitor`` a hostile ``.git/config`` set. In a real git repository."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.cli.conftest import Envkeep, quick_ok
from tests.test_filemerge import PASSPHRASE, git

if TYPE_CHECKING:
    from pathlib import Path

KEY = {"ENVKEEP_FILE_PASSPHRASE": PASSPHRASE}


@pytest.fixture
def repo(tmp_path: Path) -> Envkeep:
    for name in ("home", "work"):
        (tmp_path / name).mkdir()
    envkeep = Envkeep(tmp_path / "home", tmp_path / "work")
    quick_ok(envkeep, "init", "shop")
    git(envkeep, "init", "-q", "-b", "main")
    return envkeep


def _plant_fsmonitor(repo: Envkeep) -> Path:
    """A core.fsmonitor that leaves a file behind when git runs it; that file's path."""
    ran = repo.cwd.parent / "fsmonitor-ran"
    program = repo.cwd.parent / "fsmonitor.sh"
    program.write_text(f"#!/bin/sh\necho \"$@\" >> '{ran}'\nexit 1\n", encoding="utf-8")
    program.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(program))
    return ran


def test_encrypt_and_git_setup_do_not_run_the_repositorys_fsmonitor(repo: Envkeep) -> None:
    repo.ok("git-setup")
    ran = _plant_fsmonitor(repo)
    (repo.cwd / "plain.env").write_text("A=1\n", encoding="utf-8")

    new_name = repo.ok(
        "encrypt", "-", "-o", ".env.production", "--passphrase", stdin="A=1\n", env=KEY
    )
    repo.ok("encrypt", "plain.env", "-o", "app.env.enc", "--passphrase", env=KEY)
    repo.ok("git-setup")

    assert "git would merge .env.production line by line" in new_name.stderr  # git was asked
    assert not ran.exists(), ran.read_text(encoding="utf-8")
    git(repo, "status", "--porcelain")  # git itself runs it: the plant works
    assert ran.exists()
