"""`store.backup` takes its SQLite busy timeout from `store.busy_timeout`, the one place it is
defined (the engines take it too), and so loads no SQLAlchemy: `server backup` copies with
the standard library's sqlite3."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import envkeep.store.backup
print(sorted(m for m in sys.modules if m.split(".")[0] == "sqlalchemy"))
"""


def test_importing_the_backup_loads_no_sqlalchemy() -> None:
    found = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )

    assert found.stdout.strip() == "[]"
