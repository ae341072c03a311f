"""A full disk, or a read-only file system, is said as one, with what to do next, wherever a
write meets it."""

from __future__ import annotations

import errno

import pytest

from envkeep.cli.errors import report_unexpected


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_write_refused_by_a_full_disk_says_to_free_space(
    code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    error = OSError(code, "No space left on device", "/srv/app/.env")
    assert report_unexpected(error, debug=False) == 1
    said = capsys.readouterr().err.splitlines()
    assert said[0] == "error: /srv/app/.env: No space left on device"
    assert said[1].startswith("hint: ")
    assert "free some space" in said[1]


def test_a_write_refused_by_a_read_only_file_system_says_where_to_write_instead(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = OSError(errno.EROFS, "Read-only file system", "out.env")
    assert report_unexpected(error, debug=False) == 1
    said = capsys.readouterr().err.splitlines()
    assert said[0] == "error: out.env: Read-only file system"
    assert said[1].startswith("hint: the file system is read-only: give a path on a writable")
    assert "set ENVKEEP_HOME to a directory there" in said[1]  # a read-only home
