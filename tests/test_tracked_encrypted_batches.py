"""`git-setup`'s look for tracked encrypted files asks git about them in batches, so a
repository with thousands of them stays under the command line's length limit; every batch's
answer counts."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from envkeep.client import tracked_encrypted
from envkeep.client._fileheader import ANY_VERSION_PREFIX

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _git(top: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(top), *args], check=True, capture_output=True)


def test_files_past_the_first_batch_are_found_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git(tmp_path, "init", "-q")
    names = [f"svc{n}/.env.production" for n in range(5)]
    for name in names:
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_text(ANY_VERSION_PREFIX + " rest of header\n", encoding="utf-8")
    (tmp_path / "README").write_text("plain\n", encoding="utf-8")
    _git(tmp_path, "add", "-A")
    monkeypatch.setattr(tracked_encrypted, "_PATHS_PER_CALL", 2)

    found = tracked_encrypted.unrouted_encrypted_files(tmp_path)

    assert sorted(found.patterns) == sorted(f"/{name}" for name in names)
