"""A file or directory this process cannot write, for tests of what envkeep says then."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` (a file or a directory) unwritable for this process: its write bits off (put
    back after), or immutable for root, who writes whatever the mode (``chattr +i``; the test
    is skipped where that is not available)."""
    if os.geteuid() != 0:
        kept = path.stat().st_mode & 0o7777
        path.chmod(kept & ~0o222)
        try:
            yield
        finally:
            path.chmod(kept)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
