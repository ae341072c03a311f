"""The check every test passes at its end (tests/process_state.py, tests/conftest.py): it
finds each way a test can leave its worker changed for the tests after it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tests.process_state import changes, files_open_under, process_state, restore

if TYPE_CHECKING:
    from pathlib import Path


def test_a_variable_a_directory_and_a_umask_left_changed_are_found_and_put_back(
    tmp_path: Path,
) -> None:
    before = process_state()
    os.environ["ENVKEEP_HOME"] = str(tmp_path)  # as a test without monkeypatch would
    os.chdir(tmp_path)
    os.umask(0o077)
    try:
        found = changes(before, process_state())
    finally:
        restore(before)

    assert [change.split(" (")[0] for change in found] == [
        "environment",
        "working directory",
        "umask",
    ]
    assert "set ['ENVKEEP_HOME']" in found[0]
    assert changes(before, process_state()) == []


def test_a_descriptor_dup2d_onto_stderr_is_found() -> None:
    before = process_state()
    kept = os.dup(2)
    nowhere = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(nowhere, 2)  # as `envkeep` gives a closed stream /dev/null
        found = changes(before, process_state())
    finally:
        os.dup2(kept, 2)
        os.close(kept)
        os.close(nowhere)

    assert found == ["descriptors 0-2 (something was dup2'd onto stdin, stdout or stderr)"]


def test_a_file_left_open_in_the_tests_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    with (tmp_path / "store" / "envkeep.db").open("w"):
        held = files_open_under(tmp_path)

    assert held == ["store/envkeep.db"]
    assert files_open_under(tmp_path) == []
