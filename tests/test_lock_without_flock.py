"""`files.exclusive` on a file system that takes no locks (NFS without its lock daemon: flock
fails with ENOLCK) runs the update unlocked, as on an OS without flock, rather than failing it:
the kept copies for reads offline, which give up on any OSError, were then never kept. Any
other failure still stops the update, and the lock file is never opened through a link."""

from __future__ import annotations

import errno
import fcntl
from typing import TYPE_CHECKING

import pytest

from envkeep.core.files import exclusive

if TYPE_CHECKING:
    from pathlib import Path


def _failing_flock(number: int) -> object:
    def flock(_fd: int, _operation: int) -> None:
        raise OSError(number, "refused")

    return flock


@pytest.mark.parametrize("number", [errno.ENOLCK, errno.EOPNOTSUPP])
@pytest.mark.parametrize("within", [None, 2.0])
def test_a_file_system_without_locks_runs_the_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int, within: float | None
) -> None:
    monkeypatch.setattr(fcntl, "flock", _failing_flock(number))
    ran = []
    with exclusive(tmp_path / "pins.json", within=within):
        ran.append(True)
    assert ran == [True]


def test_another_lock_failure_stops_the_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fcntl, "flock", _failing_flock(errno.EBADF))
    ran = []
    with pytest.raises(OSError, match="refused"), exclusive(tmp_path / "pins.json"):
        ran.append(True)
    assert ran == []


def test_the_lock_file_is_not_opened_through_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "pins.json.lock").symlink_to(elsewhere)
    with (
        pytest.raises(OSError, match=r"pins\.json\.lock") as refused,
        exclusive(tmp_path / "pins.json"),
    ):
        pass
    assert refused.value.errno == errno.ELOOP
    assert not elsewhere.exists()
