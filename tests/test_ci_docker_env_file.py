"""`export --format docker` writes only what `docker run --env-file` reads: docker reads the
file a line at a time with a 64 KiB buffer and refuses a longer line ("bufio.Scanner: token
too long"), which a value at envkeep's own limit (64 KiB) makes. Such a value is refused with
the formats that hold it, as a value over several lines is. Where the docker CLI is
installed, it reads the file first (before it asks the daemon for anything)."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import UsageError
from envkeep.integrations.exporters import to_docker

if TYPE_CHECKING:
    from pathlib import Path

LONGEST = 64 * 1024 - 1  # bytes in a line, its newline left out


def _docker_reads(path: Path) -> bool | None:
    """Whether the docker CLI reads ``path`` as an env file (None: no docker here)."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    done = subprocess.run(
        [docker, "run", "--rm", "--env-file", str(path), "envkeep-test-none", "true"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"DOCKER_HOST": "unix:///nonexistent/docker.sock", "PATH": "/usr/bin:/bin"},
    )
    return "invalid env file" not in done.stderr


def test_a_docker_line_at_the_longest_docker_reads_is_written(tmp_path: Path) -> None:
    value = "é" + "x" * (LONGEST - len("CERT=") - 2)  # bytes, not characters, count
    text = to_docker({"CERT": value})

    assert len(text.encode()) == LONGEST + 1
    path = tmp_path / "ok.env"
    path.write_text(text)
    assert _docker_reads(path) in {True, None}


def test_a_docker_line_longer_than_docker_reads_is_refused_naming_the_variable(
    tmp_path: Path,
) -> None:
    value = "é" + "x" * (LONGEST - len("CERT=") - 1)
    path = tmp_path / "long.env"
    path.write_text(f"CERT={value}\n")

    with pytest.raises(UsageError, match="the line of 'CERT' would be over 65,535 bytes") as err:
        to_docker({"CERT": value, "PORT": "8080"})

    assert "é" not in str(err.value)
    assert "xxxx" not in str(err.value)
    assert _docker_reads(path) in {False, None}
