"""`activation.apply_activation` on a disk that fills up, or a Ctrl-C, between its phases."""

from __future__ import annotations

import errno
import shutil
from typing import TYPE_CHECKING

import pytest

from envkeep.client import activation
from envkeep.client.activation import FilePlan

if TYPE_CHECKING:
    from pathlib import Path


def _foreign_services(tmp_path: Path, count: int) -> list[FilePlan]:
    plans = []
    for n in range(count):
        directory = tmp_path / f"svc{n}"
        directory.mkdir()
        (directory / ".env").write_text(f"FOREIGN={n}\n")
        plans.append(
            FilePlan(
                service=f"svc{n}",
                path=directory / ".env",
                action="replace",
                text=f"SECRET=new{n}\n",
                values={"SECRET": f"new{n}"},
                backup=directory / ".env.bak",
            )
        )
    return plans


def _left_beside(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("svc*/.*") if p.name != ".env")


def test_a_backup_failing_on_a_full_disk_leaves_every_env_as_it_was_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = _foreign_services(tmp_path, 3)
    copies: list[str] = []

    def copy_until_full(source: Path, target: Path) -> None:
        copies.append(str(target))
        if len(copies) == 2:
            target.write_text("FORE")  # what a copy cut short by the full disk leaves
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        shutil.copyfile(source, target)

    monkeypatch.setattr(shutil, "copy2", copy_until_full)
    with pytest.raises(OSError, match="No space left"):
        activation.apply_activation(plans)
    assert [p.path.read_text() for p in plans] == ["FOREIGN=0\n", "FOREIGN=1\n", "FOREIGN=2\n"]
    assert _left_beside(tmp_path) == []


def test_an_interrupt_among_the_renames_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = _foreign_services(tmp_path, 3)
    from pathlib import Path

    renamed: list[Path] = []
    original = Path.replace

    def replace_then_interrupt(self: Path, target: Path) -> Path:
        if len(renamed) == 1:
            raise KeyboardInterrupt
        renamed.append(target)
        return original(self, target)

    monkeypatch.setattr(Path, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        activation.apply_activation(plans)
    assert plans[0].path.read_text() == "SECRET=new0\n"
    assert [p.path.read_text() for p in plans[1:]] == ["FOREIGN=1\n", "FOREIGN=2\n"]
    assert [p.name for p in tmp_path.glob("svc*/.*.tmp")] == []  # `..env.MACHINE-PID.XXXX.tmp`
