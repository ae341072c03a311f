"""A locale whose encoding is not UTF-8 (LC_ALL=C with Python's UTF-8 mode off, Latin-1): a
value it cannot hold is a setting to change, said as such (exit 2), not "a bug in envkeep".
Real processes: a fork of the test's interpreter keeps its UTF-8 streams."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from .conftest import ENVKEEP

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


@pytest.mark.parametrize(
    "command",
    [("get", "GREETING"), ("export",), ("run", "--", sys.executable, "-c", "pass")],
    ids=["get", "export", "run"],
)
def test_a_value_the_locale_cannot_hold_says_to_use_a_utf8_locale(
    envkeep: Envkeep, seeded: Path, command: tuple[str, ...]
) -> None:
    envkeep.ok("set", "GREETING=grüße ✓", "--env", "dev")

    done = subprocess.run(
        [*ENVKEEP, *command[:1], "--env", "dev", *command[1:]],
        capture_output=True,
        text=True,
        cwd=envkeep.cwd,
        env=envkeep.environ({**ASCII_LOCALE, "ENVKEEP_RUN_CACHE": "off"}),
        check=False,
        timeout=60,
    )

    assert done.returncode == 2, done.stderr
    error, hint = done.stderr.splitlines()[-2:]
    assert error.startswith("error: this locale's encoding (ascii) cannot hold a character")
    assert "LC_ALL=C.UTF-8" in hint
    assert "grüße" not in done.stderr
    assert "bug" not in done.stderr


def _ascii(envkeep: Envkeep, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENVKEEP, *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=envkeep.cwd,
        env=envkeep.environ(ASCII_LOCALE),
        check=False,
        timeout=60,
    )


def test_envkeeps_own_marks_fall_back_to_ascii_where_the_locale_cannot_hold_them(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "GREETING=grüße ✓", "PLAIN=1", "--env", "dev")

    listed = _ascii(envkeep, "list", "--env", "dev")  # its mask: ******, not ••••••
    said = _ascii(envkeep, "set", "NOTHING_PIPED")  # its hint: "(… | envkeep set …)"
    revealed = _ascii(envkeep, "list", "--env", "dev", "--reveal")  # a value: never changed
    as_json = _ascii(envkeep, "list", "--env", "dev", "--reveal", "--json")  # \u escapes

    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1] for line in listed.stdout.splitlines()[1:]}
    assert rows["GREETING"] == rows["PLAIN"] == "******", listed.stdout
    assert said.returncode == 2, said.stderr
    assert said.stderr.splitlines()[-1].startswith("hint: pipe the value in (\\u2026 | envkeep set")
    assert revealed.returncode == 2, revealed.stderr
    assert "cannot hold a character" in revealed.stderr
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout.isascii()
    values = {row["name"]: row["value"] for row in json.loads(as_json.stdout)}
    assert values["GREETING"] == "grüße ✓"


def test_a_name_in_a_message_is_escaped_never_made_into_another_name(
    envkeep: Envkeep, seeded: Path
) -> None:
    # a stand-in (— as --) turned the user's DB—URL into DB--URL, a valid name of its own,
    # in the command the hint told them to run
    said = subprocess.run(
        [*ENVKEEP, "get", "DB—URL", "--env", "dev"],
        capture_output=True,
        text=True,
        encoding="latin-1",
        cwd=envkeep.cwd,
        env=envkeep.environ({"PYTHONIOENCODING": "latin-1"}),  # argv still read as UTF-8
        check=False,
        timeout=60,
    )

    assert said.returncode == 1, said.stderr
    assert "DB--URL" not in said.stderr
    assert "envkeep set DB\\u2014URL=VALUE" in said.stderr, said.stderr
