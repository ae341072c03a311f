"""`init`'s .gitignore lines count only the repository's own .gitignore files: a user's global
excludes or .git/info/exclude ignore .env for that user alone, and a teammate without them
would commit it. And a read-only .gitignore is left as it is, with the lines to add said."""

from __future__ import annotations

import shutil
import stat
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import PLAIN_GIT, git

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _work_tree(envkeep: Envkeep) -> Path:
    root = envkeep.cwd
    (root / "services" / "api").mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    return root


def test_init_adds_env_to_the_gitignore_though_global_excludes_ignore_it(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    root = _work_tree(envkeep)
    excludes = tmp_path / "global-ignore"
    excludes.write_text(".env\n.env.bak*\n", encoding="utf-8")
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\texcludesFile = {excludes}\n", encoding="utf-8")

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT | {"GIT_CONFIG_GLOBAL": str(config)})

    assert done.code == 0, done.describe()
    assert (root / ".gitignore").read_text(encoding="utf-8").splitlines()[-2:] == [
        ".env",
        ".env.bak*",
    ]


def test_init_adds_env_to_the_gitignore_though_info_exclude_ignores_it(
    envkeep: Envkeep,
) -> None:
    root = _work_tree(envkeep)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("*.env\n.env*\n", encoding="utf-8")

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert ".env\n" in (root / ".gitignore").read_text(encoding="utf-8")


def test_init_adds_nothing_the_repositorys_gitignore_already_ignores(envkeep: Envkeep) -> None:
    root = _work_tree(envkeep)
    (root / ".gitignore").write_bytes(b".env*\n")

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert (root / ".gitignore").read_bytes() == b".env*\n"
    assert "added .env" not in done.stderr


def test_init_leaves_a_read_only_gitignore_untouched_and_says_the_lines_to_add(
    envkeep: Envkeep,
) -> None:
    root = _work_tree(envkeep)
    ignore = root / ".gitignore"
    ignore.write_bytes(b"node_modules/\n")
    ignore.chmod(0o444)
    before = ignore.stat()

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    after = ignore.stat()
    assert ignore.read_bytes() == b"node_modules/\n"
    assert (after.st_ino, stat.S_IMODE(after.st_mode)) == (before.st_ino, 0o444)
    assert (
        "warning: .gitignore not changed (it is read-only): add .env and .env.bak* to it"
        in done.stderr
    ), done.describe()
