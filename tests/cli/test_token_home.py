"""What envkeep leaves in an ENVKEEP_HOME: directories only their owner may enter, whichever
the store; and for a service-account token (a CI runner's home) no kept copy of what it read,
since a token run never falls back to one (its keys come from the server each time: a revoked
token must not keep working offline)."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def _token_environment(envkeep: Envkeep, homes: Homes, home: Path) -> dict[str, str | None]:
    """A read token of dev, used from ``home`` (no login there) without a checkout."""
    assert homes.server is not None
    made = ("token", "create", "ci", "--project", "shop", "--env", "dev", "--role", "read")
    return {
        "ENVKEEP_TOKEN": quick_ok(envkeep, *made).stdout.strip(),
        "ENVKEEP_SERVER": homes.server.url,
        "ENVKEEP_PROJECT": "shop",
        "ENVKEEP_HOME": str(home),
    }


def _kept_copies(home: Path) -> list[Path]:
    return [path for path in home.rglob("*.json") if "snapshots" in path.parts]


def test_a_token_run_keeps_no_copy_it_would_never_fall_back_to(
    envkeep: Envkeep, seeded: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "service-account tokens")
    ci_home, bare = tmp_path / "ci-home", tmp_path / "bare"
    bare.mkdir()
    ci = _token_environment(envkeep, homes, ci_home)

    by_token = envkeep("run", "--env", "dev", "--", "true", cwd=bare, env=ci)
    by_member = envkeep("run", "--env", "dev", "--", "true")

    assert by_token.code == by_member.code == 0, by_token.describe()
    assert _kept_copies(ci_home) == []
    assert _kept_copies(envkeep.home) != []  # a member's run keeps one to fall back to


def _open_directories(*roots: Path) -> list[str]:
    """The ``roots`` and directories under them that others may enter or list, with modes."""
    found = [*roots, *(path for root in roots for path in root.rglob("*") if path.is_dir())]
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in found}
    return [f"{path} {mode:o}" for path, mode in modes.items() if mode & 0o077]


def test_every_directory_envkeep_makes_in_its_home_is_private(
    envkeep: Envkeep, seeded: Path, homes: Homes, tmp_path: Path
) -> None:
    made = tmp_path / "made-by-envkeep" / "home"  # neither it nor its parent exists yet
    run = ("run", "--env", "dev", "--", "true")
    if homes.server is None:
        env: dict[str, str | None] = {"ENVKEEP_HOME": str(made)}
        envkeep("init", "other", "--yes", cwd=tmp_path, env=env)
    else:
        env = _token_environment(envkeep, homes, made)
    first = envkeep(*run, cwd=tmp_path, env=env)
    by_owner = envkeep(*run)  # in the home the test made (left as it is)

    assert first.code == by_owner.code == 0, first.describe()
    assert _open_directories(made.parent) == []
    assert _open_directories(*(path for path in envkeep.home.iterdir() if path.is_dir())) == []
