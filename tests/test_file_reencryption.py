"""`reencrypt`'s writing of files planned in memory: a file changed since it was read is left
as it is, and a stop names the files already re-encrypted (each whole, by a rename).

The planning (opening each file, encrypting it again) is replaced by a stand-in here: the
team-server story of tests/test_file_key_versions.py covers it with real keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.client import file_reencryption
from envkeep.client.file_reencryption import Reencryption, _Planned, reencrypt_files
from envkeep.core.errors import ConflictError, StoreError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two encrypted files whose plans rewrite them (key version 1 to 2)."""
    first, second = tmp_path / "a.env.enc", tmp_path / "b.env.enc"
    first.write_text("old a\n")
    second.write_text("old b\n")

    def planned(_ctx: object, path: Path, _change: object) -> _Planned:
        done = Reencryption(path, "dev", 1, 2)
        return _Planned(done, f"new {path.name}\n", path.resolve(), 0o600, path.read_text())

    monkeypatch.setattr(file_reencryption, "_planned", planned)
    return first, second


def _writing(monkeypatch: pytest.MonkeyPatch, after: Callable[[Path], None]) -> None:
    """Write files as `reencrypt` does, calling ``after`` with each target once written (or
    in its place, when it raises)."""

    def writing(target: Path, data: bytes, *, mode: int) -> None:
        if target.name == "b.env.enc":
            after(target)  # the second file's write: refused here, or not reached
        write_atomic(target, data, mode=mode)
        if target.name == "a.env.enc":
            after(target)

    monkeypatch.setattr(f"{file_reencryption.__name__}.write_atomic", writing)


def test_a_file_changed_since_it_was_read_is_left_and_the_rewritten_one_named(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = files

    def edit(written: Path) -> None:
        if written == first.resolve():  # edited once the first file is written
            second.write_text("edited b\n")

    _writing(monkeypatch, edit)

    with pytest.raises(ConflictError) as raised:
        reencrypt_files(None, [first, second])  # type: ignore[arg-type]

    assert first.read_text() == "new a.env.enc\n"
    assert second.read_text() == "edited b\n"  # the edit is kept
    assert raised.value.message == (
        f"{second} changed while it was being re-encrypted; it was left as it is;"
        f" re-encrypted already: {first}"
    )
    assert raised.value.hint == f"run it again: envkeep reencrypt {second}"


def test_a_file_that_cannot_be_written_stops_and_names_the_rewritten_one(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = files

    def refused(target: Path) -> None:
        if target == second.resolve():
            raise PermissionError(13, "Permission denied")

    _writing(monkeypatch, refused)

    with pytest.raises(StoreError) as raised:
        reencrypt_files(None, [first, second])  # type: ignore[arg-type]

    assert first.read_text() == "new a.env.enc\n"
    assert second.read_text() == "old b\n"
    assert raised.value.message.startswith(f"{second} could not be written (")
    assert raised.value.message.endswith(f"; re-encrypted already: {first}")


def test_files_unchanged_since_they_were_read_are_all_rewritten(
    files: tuple[Path, Path],
) -> None:
    first, second = files
    done = reencrypt_files(None, [first, second])  # type: ignore[arg-type]
    assert [d.path for d in done] == [first, second]
    assert (first.read_text(), second.read_text()) == ("new a.env.enc\n", "new b.env.enc\n")


def test_a_passphrase_change_found_changed_says_to_run_the_change_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sealed = tmp_path / "shared.env.enc"
    sealed.write_text("old\n")

    def planned(_ctx: object, path: Path, _change: object) -> _Planned:
        done = Reencryption(path, "", 0, 0, new_passphrase=True)
        text = path.read_text()
        path.write_text("edited\n")  # between the read and the write
        return _Planned(done, "new\n", path.resolve(), 0o600, text)

    monkeypatch.setattr(file_reencryption, "_planned", planned)

    with pytest.raises(ConflictError) as raised:
        reencrypt_files(None, [sealed])  # type: ignore[arg-type]

    assert sealed.read_text() == "edited\n"
    assert raised.value.hint == f"run it again: envkeep reencrypt --new-passphrase {sealed}"
