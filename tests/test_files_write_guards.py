"""What `export -o` and `decrypt -o` (`write_new`) will not write into or through unasked: a
block device (as root `-o /dev/sda` wrote over a disk's first blocks without --force), a
link that leads nowhere (it created the file it named), a link another user left in a shared
directory such as /tmp (even --force must not replace the file it names: ~/.bashrc), and a
named pipe another user made (whoever reads it got the values)."""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import AlreadyExistsError, UsageError
from envkeep.core.files import write_new

if TYPE_CHECKING:
    from pathlib import Path

VALUES = b"export TOKEN='s3cret'\n"
OTHER_USER = 12345

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making another user's file needs root")


def _shared(tmp_path: Path) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp: anyone may add, only the owner remove
    return shared


@needs_root
def test_a_block_device_is_refused_without_force_and_stays_a_device(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(240, 0))  # a number no driver answers

    with pytest.raises(AlreadyExistsError, match="block device"):
        write_new(disk, VALUES, force=False)
    with pytest.raises(OSError, match="No such device") as forced:  # --force writes into it;
        write_new(disk, VALUES, force=True)  # here no driver answers

    assert forced.value.errno in {errno.ENXIO, errno.ENODEV}
    assert stat.S_ISBLK(disk.lstat().st_mode)


def test_a_link_that_leads_nowhere_is_refused_without_force_and_creates_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "home" / ".profile"
    target.parent.mkdir()
    link = tmp_path / "app.env"
    link.symlink_to(target)

    with pytest.raises(AlreadyExistsError, match="exists"):
        write_new(link, VALUES, force=False)

    assert not target.exists()
    assert link.is_symlink()


@needs_root
def test_another_users_link_in_a_shared_directory_is_not_followed_even_forced(
    tmp_path: Path,
) -> None:
    bashrc = tmp_path / "home" / ".bashrc"
    bashrc.parent.mkdir()
    bashrc.write_text("alias ll='ls -l'\n")
    planted = _shared(tmp_path) / "app.env"
    planted.symlink_to(bashrc)
    os.lchown(planted, OTHER_USER, OTHER_USER)

    with pytest.raises(UsageError, match="link another user made in a shared directory"):
        write_new(planted, VALUES, force=True)

    assert bashrc.read_text() == "alias ll='ls -l'\n"


def test_ones_own_link_in_a_shared_directory_is_followed_when_forced(tmp_path: Path) -> None:
    target = tmp_path / "mine.env"
    target.write_text("OLD=1\n")
    link = _shared(tmp_path) / "app.env"
    link.symlink_to(target)

    write_new(link, VALUES, force=True)

    assert target.read_bytes() == VALUES
    assert link.is_symlink()


@needs_root
def test_another_users_named_pipe_gets_nothing_without_force(tmp_path: Path) -> None:
    pipe = _shared(tmp_path) / "app.env"
    os.mkfifo(pipe, 0o666)
    os.chown(pipe, OTHER_USER, OTHER_USER)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)  # the other user, listening
    try:
        with pytest.raises(AlreadyExistsError, match="named pipe another user made"):
            write_new(pipe, VALUES, force=False)
        try:
            received = os.read(reader, 1024)
        except BlockingIOError:
            received = b""
    finally:
        os.close(reader)

    assert received == b""
