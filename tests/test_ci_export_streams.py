"""`export -o` into what a pipeline hands it: `/dev/stdout`, a named pipe another step reads,
a link. A pipe or a device is written into, never replaced, and a link's target is replaced,
not the link. Before, `-o /dev/stdout` was refused as an existing file, and `--force` renamed a
new regular file holding the values over the device, the pipe or the link (as root in a
container, over /dev/null)."""

from __future__ import annotations

import os
import stat
import threading
from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import UsageError
from envkeep.core.files import refuse_existing
from tests.ci_team import CiTeam, ci_team

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SHELL = "export LOG_LEVEL='info'\nexport PORT='8080'\n"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CiTeam]:
    yield from ci_team(tmp_path_factory.mktemp("ci-export"), ["PORT=8080", "LOG_LEVEL=info"])


def _export(team: CiTeam, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    done = team.job(home, tmp_path, "export", "--format", "shell", *args)
    return done.returncode, done.stdout, done.stderr


def test_export_to_dev_stdout_writes_the_values_to_stdout(team: CiTeam, tmp_path: Path) -> None:
    code, out, err = _export(team, tmp_path, "-o", "/dev/stdout")

    assert code == 0, err
    assert out == SHELL


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_export_into_a_named_pipe_writes_into_it_and_leaves_the_pipe(
    team: CiTeam, tmp_path: Path, force: list[str]
) -> None:
    pipe = tmp_path / "values.fifo"
    os.mkfifo(pipe, 0o600)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()

    code, _, err = _export(team, tmp_path, "-o", str(pipe), *force)
    if code != 0:  # let the reader go
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(30)

    assert code == 0, err
    assert received == [SHELL.encode()]
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_export_forced_through_a_link_to_a_device_writes_into_the_device(
    team: CiTeam, tmp_path: Path
) -> None:
    link = tmp_path / "sink"
    link.symlink_to("/dev/null")

    code, _, err = _export(team, tmp_path, "-o", str(link), "--force")

    assert code == 0, err
    assert link.is_symlink()
    assert str(link.readlink()) == "/dev/null"
    assert stat.S_ISCHR(link.stat().st_mode)


def test_export_forced_through_a_link_replaces_its_target_and_keeps_the_link(
    team: CiTeam, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "api.env"
    target.write_text("OLD=1\n")
    link = tmp_path / "api.env"
    link.symlink_to(target)

    code, _, err = _export(team, tmp_path, "-o", str(link), "--force")

    assert code == 0, err
    assert link.is_symlink()
    assert target.read_text() == SHELL
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_writer_that_replaces_files_refuses_a_pipe_even_when_forced(tmp_path: Path) -> None:
    pipe = tmp_path / "trail.fifo"
    os.mkfifo(pipe, 0o600)

    with pytest.raises(UsageError, match="is a pipe or a device, not a file"):
        refuse_existing(pipe, force=True)
