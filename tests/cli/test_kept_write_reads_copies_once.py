"""A write where copies are kept for reads offline reads each kept file once: the copy of
every scope it brings past itself, and the others its new copy may supersede. It read every
file of the environment's folder twice (`whole_copy`, then `save` looking for what to delete)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from envkeep.client import offline

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from envkeep.client.kept_copy import KeptCopy

    from .conftest import Envkeep, Homes


def _files_read(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """How often each kept file is read from now on."""
    read: Counter[Path] = Counter()
    real = offline._read

    def counted(path: Path) -> KeptCopy | None:
        read[path] += 1
        return real(path)

    monkeypatch.setattr(offline, "_read", counted)
    return read


def _kept_of_dev(home: Path) -> set[Path]:
    """The files of the copies of dev kept under ``home``."""
    kept = home.rglob("snapshots/*/*.json")
    return {
        p for p in kept if json.loads(p.read_text())["snapshot"]["environment"]["name"] == "dev"
    }


def test_a_write_reads_each_kept_copy_of_the_environment_once(
    envkeep: Envkeep, homes: Homes, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=4000", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "validate", "--env", "dev", "--all")  # a copy of every scope
    quick_ok(envkeep, "get", "PORT", "--env", "dev", "-s", "api")  # and one of api's
    kept = _kept_of_dev(envkeep.home)
    assert len(kept) == 2
    read = _files_read(monkeypatch)

    quick_ok(envkeep, "set", "LOG_LEVEL=debug", "--env", "dev")

    assert read == Counter(dict.fromkeys(kept, 1))
    assert len(_kept_of_dev(envkeep.home)) == 1  # api's superseded by the copy past the write
