"""`init` in a repository where git is not on PATH (a container, a minimal CI image): it cannot
ask git what the .gitignore files ignore, so it writes nothing, but says the lines to add. It
said nothing, and the .env files `activate-all` writes were left for the next commit."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import git

if TYPE_CHECKING:
    from .conftest import Envkeep

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git to make one")

NO_GIT = {"PATH": "/nonexistent"}
SAID = (
    "warning: .gitignore not changed (git is not on PATH to tell what it ignores already):"
    " add .env and .env.bak* to it"
)


@pytest.mark.parametrize("where", [".", "services/api"])
def test_init_in_a_repository_without_git_on_path_says_the_lines_to_add(
    envkeep: Envkeep, where: str
) -> None:
    git(envkeep.cwd, "init", "-q")
    project = envkeep.cwd / where

    done = envkeep("init", "shop", "--yes", cwd=project, env=NO_GIT)

    assert done.code == 0, done.describe()
    assert SAID in done.stderr, done.describe()
    assert not (project / ".gitignore").exists()


def test_init_outside_a_repository_without_git_says_nothing_of_gitignore(
    envkeep: Envkeep,
) -> None:
    done = envkeep("init", "shop", "--yes", env=NO_GIT)

    assert done.code == 0, done.describe()
    assert ".gitignore" not in done.stderr, done.describe()
    assert not (envkeep.cwd / ".gitignore").exists()
