"""`init` leaves a .gitignore it cannot rightly change and says so, rather than writing
through a link (git reads no .gitignore that is a link: the lines went to the file it named,
outside the project, and "added" ignored nothing) or failing half done (a .gitignore that
could not be written stopped init before its services were registered)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import PLAIN_GIT, git

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _work_tree_with_a_service(envkeep: Envkeep) -> Path:
    root = envkeep.cwd
    (root / "services" / "api" / ".env").write_text("PORT=1\n", encoding="utf-8")
    git(root, "init", "-q")
    return root


def test_init_leaves_a_gitignore_that_is_a_link_and_its_target_alone(
    envkeep: Envkeep, tmp_path: Path
) -> None:
    root = _work_tree_with_a_service(envkeep)
    elsewhere = tmp_path / "dotfiles" / "ignore"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"node_modules/\n")
    (root / ".gitignore").symlink_to(elsewhere)

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert elsewhere.read_bytes() == b"node_modules/\n"
    assert (root / ".gitignore").is_symlink()
    assert (
        "warning: .gitignore not changed (it is a link, which git does not read): add .env and"
        " .env.bak* to it" in done.stderr
    ), done.describe()
    assert "added .env" not in done.stderr


def test_init_with_a_gitignore_it_cannot_write_still_registers_its_services(
    envkeep: Envkeep,
) -> None:
    root = _work_tree_with_a_service(envkeep)
    (root / ".gitignore").mkdir()  # what no write can replace, even as root

    done = envkeep("init", "shop", "--yes", env=PLAIN_GIT)

    assert done.code == 0, done.describe()
    assert "warning: .gitignore not changed (is a directory)" in done.stderr, done.describe()
    listed = envkeep("service", "list", env=PLAIN_GIT)
    assert "api" in listed.stdout, listed.describe()
    assert (root / ".gitignore").is_dir()
