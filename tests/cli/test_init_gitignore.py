"""`init` in a git work tree adds `.env` and `.env.bak*` to the project's .gitignore: the .env
files `activate-all` then writes into each service hold every value in clear, and it only
warned, after writing them, that git would commit them."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import PLAIN_GIT, git

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

ADDED = "# envkeep activate-all writes these: every value in clear\n.env\n.env.bak*\n"


def _with_env_files(envkeep: Envkeep) -> Path:
    """The work directory, its services' hand-written .env files (init finds them)."""
    for service in ("api", "worker"):
        (envkeep.cwd / "services" / service / ".env").write_text("PORT=1\n", encoding="utf-8")
    return envkeep.cwd


def _git_ignores(root: Path, path: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", path], env=PLAIN_GIT, check=False
    )
    return done.returncode == 0


def test_init_in_a_git_work_tree_ignores_the_env_files_and_keeps_the_files_lines(
    envkeep: Envkeep,
) -> None:
    root = _with_env_files(envkeep)
    git(root, "init", "-q")
    before = b"node_modules/\r\n*.log"  # its own line ending, no newline at the end
    (root / ".gitignore").write_bytes(before)

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    after = (root / ".gitignore").read_bytes()
    assert after == before + b"\r\n" + ADDED.replace("\n", "\r\n").encode()
    assert "added .env and .env.bak* to .gitignore" in done.stderr
    assert _git_ignores(root, "services/api/.env")
    assert _git_ignores(root, "services/worker/.env.bak.1")
    assert not _git_ignores(root, "services/api/.env.example")  # schemas are committed


def test_init_adds_only_the_line_git_does_not_apply_yet(envkeep: Envkeep) -> None:
    root = _with_env_files(envkeep)
    git(root, "init", "-q")
    (root / ".gitignore").write_text("*.env\n", encoding="utf-8")  # covers .env, not backups

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    text = (root / ".gitignore").read_text(encoding="utf-8")
    assert text == "*.env\n# envkeep activate-all writes these: every value in clear\n.env.bak*\n"
    assert "added .env.bak* to .gitignore" in done.stderr


def test_init_where_git_ignores_the_env_files_already_leaves_gitignore_alone(
    envkeep: Envkeep,
) -> None:
    root = _with_env_files(envkeep)
    git(root, "init", "-q")
    (root / ".gitignore").write_text(".env*\n", encoding="utf-8")

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert (root / ".gitignore").read_text(encoding="utf-8") == ".env*\n"
    assert ".gitignore" not in done.stderr


def test_init_outside_a_git_work_tree_writes_no_gitignore(envkeep: Envkeep) -> None:
    root = _with_env_files(envkeep)

    done = envkeep(
        "init", "shop", "--yes", env={**PLAIN_GIT, "GIT_CEILING_DIRECTORIES": str(root.parent)}
    )

    assert done.code == 0, done.describe()
    assert not (root / ".gitignore").exists()
    assert ".gitignore" not in done.stderr


def test_activate_all_after_init_in_a_git_work_tree_warns_of_no_committable_env_file(
    envkeep: Envkeep,
) -> None:
    root = _with_env_files(envkeep)
    git(root, "init", "-q")
    assert envkeep("init", "shop", "--yes", env=PLAIN_GIT).code == 0
    assert envkeep("set", "PORT=8080", "--env", "dev", env=PLAIN_GIT).code == 0

    done = envkeep("activate-all", "--env", "dev", "--force", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert "git would commit" not in done.stderr
    assert (root / "services" / "api" / ".env.bak").exists()  # the hand-written one, kept
    assert _git_ignores(root, "services/api/.env.bak")
