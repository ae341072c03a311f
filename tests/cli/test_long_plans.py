"""A long plan is cut: `promote` of 3,600 values printed 3,602 lines, `rollback --to-time` of
3,000 a line each. Over `long_plans.LONGEST` lines, the first `SHOWN` are shown, then how many
are left out and of which kinds; --dry-run lists every one, writes nothing and asks nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli.long_plans import SHOWN

from .conftest import quick_ok
from .test_rollback_to_time import _last_write, _values

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

MANY = 60


def _import_many(envkeep: Envkeep, seeded: Path, env: str, value: str) -> None:
    names = "".join(f"MANY_{i:03d}={value}{i}\n" for i in range(MANY))
    (seeded / f"many-{env}.env").write_text(names, encoding="utf-8")
    quick_ok(envkeep, "import", f"many-{env}.env", "--env", env, "--yes")


def test_promoting_many_values_shows_the_first_and_counts_the_rest(
    envkeep: Envkeep, seeded: Path
) -> None:
    _import_many(envkeep, seeded, "dev", "dev-")
    before = _values(envkeep, "--env", "staging")

    planned = envkeep.ok("promote", "--from", "dev", "--to", "staging", "--dry-run")
    unchanged = _values(envkeep, "--env", "staging")
    done = envkeep.ok("promote", "--from", "dev", "--to", "staging", "--yes")

    listed = [line.split()[3] for line in planned.stdout.splitlines()[1:]]
    assert {f"MANY_{i:03d}" for i in range(MANY)} <= set(listed), planned.stdout
    assert planned.err_lines[-1].endswith("; nothing written"), planned.stderr
    assert unchanged == before
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == SHOWN, done.stdout
    left = len(listed) - SHOWN
    cut = next(line for line in done.err_lines if line.startswith("… and "))
    assert cut.startswith(f"… and {left} more ({len(listed)} in all: "), done.stderr
    assert " + new" in cut, cut  # of each kind, how many
    assert "--dry-run lists every one" in cut, cut
    assert _values(envkeep, "--env", "staging")["MANY_059"] == "dev-59"


def test_rolling_back_many_values_shows_the_first_and_counts_the_rest(
    envkeep: Envkeep, seeded: Path
) -> None:
    before = _last_write(envkeep, "DATABASE_URL", "--env", "dev")
    _import_many(envkeep, seeded, "dev", "new-")
    back = ("rollback", "--env", "dev", "--service", "-", "--to-time", before)

    planned = envkeep.ok(*back, "--dry-run")
    still = _values(envkeep, "--env", "dev")
    done = envkeep.ok(*back, "--yes")

    assert sum(line.startswith("  - MANY_") for line in planned.err_lines) == MANY
    assert still["MANY_000"] == "new-0"  # nothing written
    shown = [line for line in done.err_lines if line.startswith("  ")]
    assert len(shown) == SHOWN, done.stderr
    assert f"… and {MANY - SHOWN} more ({MANY} in all: {MANY} - deleted)" in done.stderr
    assert "MANY_000" not in _values(envkeep, "--env", "dev")
