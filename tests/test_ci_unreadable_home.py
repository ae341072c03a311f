"""A CI job or container whose HOME is not its user's to read (a container run with another
`--user` than the image's, HOME still /root) reads with ENVKEEP_TOKEN as with a home it cannot
write: nothing kept there is used, and the job goes on. It stopped with exit 1 on the first
file of the home it could not read (the cache of verified signatures, then the pins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.ci_team import CiTeam, ci_team

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CiTeam]:
    yield from ci_team(tmp_path_factory.mktemp("ci-home"), ["PORT=8080", "LOG_LEVEL=info"])


@pytest.fixture
def unreadable_home(team: CiTeam, tmp_path: Path) -> Iterator[Path]:
    """A home where an earlier job kept its pins and verified signatures, then closed to this
    job's user (mode 000)."""
    home, job = tmp_path / "home", tmp_path / "job"
    home.mkdir()
    job.mkdir()
    first = team.job(home, job, "get", "PORT")
    assert first.returncode == 0, first.stderr
    kept = home / ".config" / "envkeep"
    assert (kept / "cache" / "verified-signatures").is_file()
    assert (kept / "known_keys.json").is_file()
    home.chmod(0o000)
    yield home
    home.chmod(0o700)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["get", "PORT"], "8080\n"),
        (["run", "--", "sh", "-c", 'echo "$PORT $LOG_LEVEL"'], "8080 info\n"),
        (["export", "--format", "shell"], "export LOG_LEVEL='info'\nexport PORT='8080'\n"),
    ],
    ids=["get", "run", "export"],
)
def test_a_token_job_whose_home_it_cannot_read_still_reads(
    team: CiTeam, unreadable_home: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    done = team.job(unreadable_home, tmp_path / "job", *args, bound_by_modes=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
    assert "Permission denied" not in done.stderr


def test_pins_it_cannot_read_are_not_written_over(team: CiTeam, tmp_path: Path) -> None:
    home, job = tmp_path / "home", tmp_path / "job"
    home.mkdir()
    job.mkdir()
    assert team.job(home, job, "get", "PORT").returncode == 0
    kept = home / ".config" / "envkeep"
    pins = [kept / name for name in ("known_keys.json", "known_environments.json")]
    before = [(path.stat().st_ino, path.read_bytes()) for path in pins]
    for path in pins:
        path.chmod(0o000)

    done = team.job(home, job, "get", "PORT", bound_by_modes=True)

    for path in pins:
        path.chmod(0o600)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "8080\n"
    assert [(path.stat().st_ino, path.read_bytes()) for path in pins] == before
