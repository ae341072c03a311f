"""Helpers of the tests of writes a service's schema refuses (`client/write_checks.py`) and of
`lift`: one service's values set, one scope's stored values read back, and the refusal's
shape."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import SchemaViolation

from .config_fixtures import assert_one_line_error
from .conftest import quick_ok

if TYPE_CHECKING:
    from .conftest import Envkeep, Result

# Logic cases run on the embedded store alone: the checks are the client's, and one case of
# each behaviour runs on a team server too.
EMBEDDED_ONLY = pytest.mark.parametrize("backend", ["local"], indirect=True)


def set_in(envkeep: Envkeep, service: str, *pairs: str) -> None:
    """``pairs`` (NAME=VALUE) set in ``service``'s scope of dev."""
    quick_ok(envkeep, "set", *pairs, "--env", "dev", "-s", service)


def stored(envkeep: Envkeep, env: str, service: str | None = None) -> dict[str, tuple[str, int]]:
    """One scope's variables (shared when ``service`` is None): name -> (value, version)."""
    args = ("list", "--env", env, "--json", "--reveal") + (("-s", service) if service else ())
    listing = json.loads(quick_ok(envkeep, *args).stdout)
    scope = service or "shared"
    return {v["name"]: (v["value"], v["version"]) for v in listing if v["scope"] == scope}


def assert_refused(result: Result, service: str, name: str, rule: str, value: str) -> None:
    """Refused as a failed validation (exit 3), one line naming the service, variable and rule
    (never the value), with a hint naming the flag that writes anyway."""
    assert result.code == SchemaViolation.exit_code == 3, result.describe()
    assert_one_line_error(result, f"{service}.{name} ({rule}:", "nothing was written")
    assert value not in result.stderr, result.describe()
    assert "--no-validate" in result.err_lines[1], result.describe()
