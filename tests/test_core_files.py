"""`core/files`: where a file envkeep writes gets private directories and where ordinary ones,
and what an append does to the file it adds to."""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

import pytest

from envkeep.core.files import (
    append_private,
    temporary_prefix,
    write_atomic,
    write_new,
    writer_tag,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_a_private_file_outside_the_home_leaves_ordinary_directories(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "conf" / ".env"  # `export -o dist/conf/.env`

    write_new(out, b"A=1\n", force=False, mode=0o600)

    assert _mode(out) == 0o600
    assert _mode(tmp_path / "dist") == _mode(tmp_path / "dist" / "conf") == 0o755


@pytest.mark.usefixtures("umask_022")
def test_a_file_kept_in_the_home_gets_private_directories(tmp_path: Path) -> None:
    kept = tmp_path / "home" / "servers" / "x" / "session.json"
    tmp_path.chmod(0o755)  # the user's own directory above the home

    write_atomic(kept, b"{}", mode=0o600, private_parents=True)

    for directory in (tmp_path / "home", kept.parent.parent, kept.parent):
        assert _mode(directory) == 0o700, directory
    assert _mode(tmp_path) == 0o755  # what existed keeps its mode


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"", b"B=2\n"),
        (b"A=1\n", b"A=1\nB=2\n"),
        (b"A=1", b"A=1\nB=2\n"),  # `printf 'A=1' >> "$GITHUB_ENV"`: B must not join A's value
    ],
)
def test_an_append_starts_on_a_line_of_its_own(tmp_path: Path, before: bytes, after: bytes) -> None:
    target = tmp_path / "github_env"
    target.write_bytes(before)

    append_private(target, b"B=2\n")

    assert target.read_bytes() == after


def test_an_append_to_a_missing_file_creates_it_private(tmp_path: Path) -> None:
    target = tmp_path / "new_env"

    append_private(target, b"B=2\n")

    assert target.read_bytes() == b"B=2\n"
    assert _mode(target) == 0o600


def test_an_append_to_a_file_this_user_may_not_read_still_appends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "drop"
    target.write_bytes(b"A=1")
    real_open = type(target).open

    def write_only(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if self == target and "r" in mode:  # a drop file, mode 0200 (root would read it)
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(type(target), "open", write_only)

    append_private(target, b"B=2\n")

    monkeypatch.undo()
    assert target.read_bytes() == b"A=1B=2\n"  # nothing added unasked where nothing was read


def test_a_directory_refusing_the_temporary_file_is_reported_by_the_target_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export -o` into a read-only directory said `error: DIR/.x.env.ab12cd.tmp: Read-only
    file system`, a file the user never named."""
    import tempfile

    def refuse(*_args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system", f"{kwargs['dir']}/.x.env.ab12cd.tmp")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    target = tmp_path / "x.env"

    with pytest.raises(OSError, match="Read-only file system") as refused:
        write_atomic(target, b"A=1\n")

    assert refused.value.filename == str(target)
    assert refused.value.errno == errno.EROFS


_KILLED_WHILE_WRITING = """
import os, sys
from pathlib import Path
from envkeep.core.files import atomic_writer
with atomic_writer(Path(sys.argv[1])) as handle:
    handle.write(b"SECRET=in clear\\n")
    handle.flush()
    os.kill(os.getpid(), 9)
"""


def test_a_temporary_file_left_by_a_writer_killed_before_its_rename_goes_at_the_next_write(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    target = tmp_path / "out.env"
    killed = subprocess.run([sys.executable, "-c", _KILLED_WHILE_WRITING, str(target)], check=False)
    assert killed.returncode == -9
    [left] = tmp_path.glob(".out.env.*.tmp")
    live = tmp_path / f".out.env.{writer_tag()}.abcd1234.tmp"  # a writer still at work
    others = tmp_path / f".out.env.x.{left.name.split('.')[3]}.abcd1234.tmp"  # out.env.x's
    for kept in (live, others):
        kept.write_bytes(b"")
    write_atomic(target, b"SECRET=new\n")
    assert target.read_bytes() == b"SECRET=new\n"
    assert sorted(p.name for p in tmp_path.glob(".*")) == sorted([live.name, others.name])


# Run in a PID namespace of its own, as in a container that shares the directory (or /tmp):
# none of the processes outside it can be seen from it.
_SWEEP_IN_ANOTHER_NAMESPACE = """\
import sys
from pathlib import Path
from envkeep.core.files import remove_dead_directories, write_atomic
write_atomic(Path(sys.argv[1]) / "out.env", b"SECRET=theirs\\n")
remove_dead_directories(Path(sys.argv[1]), "envkeep-edit-")
"""


def test_a_live_writer_is_not_taken_for_dead_from_another_pid_namespace(tmp_path: Path) -> None:
    """A writer's PID that another PID namespace cannot see is no dead writer's: a command run
    in a container sharing the directory removed the live host's temporary file, and the
    buffer directory of an edit open on the host (its editor could not save)."""
    import shutil
    import subprocess
    import sys

    alone = ["unshare", "--user", "--map-root-user", "--pid", "--fork"]
    if shutil.which("unshare") is None or subprocess.run([*alone, "true"], check=False).returncode:
        pytest.skip("no unshare here, or no PID namespace for this user")
    writing = tmp_path / f"{temporary_prefix(tmp_path / 'out.env')}abcd1234.tmp"
    editing = tmp_path / f"envkeep-edit-{writer_tag()}-abcd1234"
    writing.write_bytes(b"SECRET=in clear\n")
    editing.mkdir()

    swept = subprocess.run(
        [*alone, sys.executable, "-c", _SWEEP_IN_ANOTHER_NAMESPACE, str(tmp_path)], check=False
    )

    assert swept.returncode == 0
    assert writing.exists()
    assert editing.is_dir()
