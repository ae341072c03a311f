"""`envkeep rollback --to-time`: one scope back to what it held at a time, as one batch.

Times are read from `history --json` (created_at, to the second); a write meant to come after
such a time waits for the clock's next second, no longer.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .conftest import SHARED_DEV, Envkeep, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

DEV = ("--env", "dev")
API = ("--env", "dev", "--service", "api")


def _json(envkeep: Envkeep, *args: str) -> list[dict[str, Any]]:
    data = json.loads(quick_ok(envkeep, *args, "--json").stdout)
    assert isinstance(data, list)
    return data


def _last_write(envkeep: Envkeep, name: str, *scope: str) -> str:
    """The time of ``name``'s latest version, once the clock has gone past its second."""
    moment = _json(envkeep, "history", name, *scope)[-1]["created_at"]
    assert isinstance(moment, str)
    after = datetime.fromisoformat(moment) + timedelta(seconds=1)
    while datetime.now(UTC) < after:  # versions are timed to the second
        time.sleep(0.05)
    return moment


def _values(envkeep: Envkeep, *scope: str) -> dict[str, str]:
    """The values set in the scope itself (a service's list shows the shared ones too)."""
    own = scope[3] if len(scope) > 3 else "shared"
    listed = _json(envkeep, "list", *scope, "--reveal")
    return {v["name"]: v["value"] for v in listed if v["scope"] == own}


def test_rollback_to_time_undoes_an_import_that_overwrote_two_values_and_added_one(
    envkeep: Envkeep, seeded: Path
) -> None:
    before = _last_write(envkeep, "DATABASE_URL", *DEV)
    (seeded / "bad.env").write_text("DATABASE_URL=postgres://wrong\nLOG_LEVEL=debug\nEXTRA=1\n")
    quick_ok(envkeep, "import", "bad.env", *DEV, "--on-conflict", "overwrite", "--yes")

    done = envkeep.ok("rollback", *DEV, "--to-time", before, "--yes")

    assert done.err_lines[1:4] == [
        "  ~ DATABASE_URL  set back (changed since)",
        "  - EXTRA         deleted (created since)",
        "  ~ LOG_LEVEL     set back (changed since)",
    ], done.stderr
    assert "postgres" not in done.stderr + done.stdout  # names only, never values
    assert done.err_lines[-1].startswith("rolled back 3 variables in dev (shared) to ")
    assert _values(envkeep, *DEV) == SHARED_DEV
    history = _json(envkeep, "history", "DATABASE_URL", *DEV)
    assert [(h["version"], h["same_as"]) for h in history] == [(1, None), (2, None), (3, 1)]
    assert [h["deleted"] for h in _json(envkeep, "history", "EXTRA", *DEV)] == [False, True]
    assert _values(envkeep, *API) == {"PORT": "8080"}  # another scope: untouched


def test_rollback_to_time_brings_back_a_variable_deleted_since(
    envkeep: Envkeep, seeded: Path
) -> None:
    before = _last_write(envkeep, "PORT", *API)
    quick_ok(envkeep, "unset", "PORT", *API)

    done = envkeep.ok("rollback", *API, "--to-time", before, "--yes")

    assert "  + PORT  restored (deleted since)" in done.err_lines, done.stderr
    assert _values(envkeep, *API) == {"PORT": "8080"}
    assert [h["deleted"] for h in _json(envkeep, "history", "PORT", *API)] == [False, True, False]


def test_rollback_to_time_with_nothing_changed_since_writes_nothing(
    envkeep: Envkeep, seeded: Path
) -> None:
    before = _last_write(envkeep, "DATABASE_URL", *DEV)

    done = envkeep.ok("rollback", *DEV, "--service", "-", "--to-time", before)

    assert done.err_lines == [
        f"dev (shared) holds what it held at {before} already; nothing written"
    ]
    assert [h["version"] for h in _json(envkeep, "history", "DATABASE_URL", *DEV)] == [1]


def test_rollback_to_time_without_yes_under_ci_is_refused_and_writes_nothing(
    envkeep: Envkeep, seeded: Path
) -> None:
    before = _last_write(envkeep, "LOG_LEVEL", *DEV)
    quick_ok(envkeep, "set", "LOG_LEVEL=debug", *DEV)

    refused = envkeep("rollback", *DEV, "--to-time", before)

    assert refused.code == 2, refused.describe()
    assert "  ~ LOG_LEVEL  set back (changed since)" in refused.err_lines
    assert refused.err_lines[-2:] == [
        "error: not confirmed; nothing changed",
        "hint: pass --yes to go ahead without asking",
    ]
    assert _values(envkeep, *DEV)["LOG_LEVEL"] == "debug"


def test_rollback_to_time_accepts_an_age(envkeep: Envkeep, seeded: Path) -> None:
    quick_ok(envkeep, "set", "NEW_ONE=1", *DEV)

    done = envkeep.ok("rollback", *DEV, "--to-time", "365d", "--yes")  # before the project

    assert _values(envkeep, *DEV) == {}
    assert "  - NEW_ONE       deleted (created since)" in done.err_lines, done.stderr


def test_rollback_to_time_refuses_a_bad_time_and_a_mixed_form(
    envkeep: Envkeep, seeded: Path
) -> None:
    bad, with_name, with_to, neither = envkeep.many(
        ("rollback", *DEV, "--to-time", "yesterday", "--yes"),
        ("rollback", "PORT", *DEV, "--to-time", "1h", "--yes"),
        ("rollback", *DEV, "--to", "1", "--to-time", "1h", "--yes"),
        ("rollback", "PORT", *DEV),
    )

    forms = (
        "hint: envkeep rollback NAME --to N, or envkeep rollback --to-time TIME (the whole scope)"
    )
    assert (bad.code, bad.err_lines) == (
        2,
        [
            "error: 'yesterday' is neither a time nor an age",
            "hint: e.g. 2026-11-01, 2026-11-01T09:30 (UTC), or an age: 90m, 24h, 7d",
        ],
    )
    assert (with_name.code, with_name.err_lines) == (
        2,
        ["error: --to-time rolls back the whole scope, not one NAME", forms],
    )
    assert (with_to.code, with_to.err_lines) == (
        2,
        ["error: --to and --to-time do not go together", forms],
    )
    assert (neither.code, neither.err_lines) == (2, ["error: rollback needs --to N", forms])
    assert _values(envkeep, *DEV) == SHARED_DEV


def test_rollback_to_time_that_would_close_a_reference_cycle_is_refused_and_writes_nothing(
    envkeep: Envkeep, seeded: Path
) -> None:
    quick_ok(envkeep, "set", "A=${B}", *DEV)
    before = _last_write(envkeep, "A", *DEV)
    quick_ok(envkeep, "set", "A=1", *DEV)
    quick_ok(envkeep, "set", "B=${A}", *API)  # fine while A holds no reference

    refused = envkeep("rollback", *DEV, "--to-time", before, "--yes")

    assert refused.code == 3, refused.describe()
    assert "reference cycle: A -> B -> A in api" in refused.err_lines[0]
    assert _values(envkeep, *DEV)["A"] == "1"
