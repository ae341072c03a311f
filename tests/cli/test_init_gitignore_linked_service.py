"""A service directory that is a link (to a checkout beside the project) made `git
check-ignore` fail on the path beyond it (128: "beyond a symbolic link"), and `init` then
added nothing to .gitignore, leaving the project's own `.env` for git to commit."""

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


def test_init_with_a_linked_service_directory_still_ignores_the_projects_env(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    root = envkeep.cwd
    beside = tmp_path / "beside" / "web"
    beside.mkdir(parents=True)
    (beside / ".env").write_text("PORT=1\n", encoding="utf-8")
    (root / "services").mkdir(exist_ok=True)
    (root / "services" / "web").symlink_to(beside)
    (root / ".env").write_text("PORT=2\n", encoding="utf-8")
    git(root, "init", "-q")

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert "added .env and .env.bak* to .gitignore" in done.stderr, done.describe()
    ignored = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", ".env"], env=PLAIN_GIT, check=False
    )
    assert ignored.returncode == 0
