"""Values no environment variable can hold are refused where they are written, with the
variable's name (a NUL character, text that is not UTF-8), and what `run` cannot pass on is
said as such: one variable over Linux's 128 KiB, an output path that is a directory, a name
given twice in an edited buffer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envkeep.client.runner import exec_command
from envkeep.core.errors import InputError

from .config_fixtures import editor_env

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _names(envkeep: Envkeep) -> set[str]:
    listed = json.loads(envkeep.ok("list", "--json", "--service", "api").stdout)
    return {v["name"] for v in listed}


def test_a_nul_character_from_stdin_is_refused_naming_the_variable(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("set", "BLOB", "--service", "api", stdin="x\0y")

    assert refused.code == 2, refused.describe()
    assert "the value of BLOB contains a NUL character" in refused.stderr
    assert "BLOB" not in _names(envkeep)


def test_text_that_is_not_utf8_is_refused_naming_the_variable(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("set", "LATIN=caf\udce9", "--service", "api")  # the byte 0xe9 alone

    assert refused.code == 2, refused.describe()
    assert "the value of LATIN is not UTF-8 text" in refused.stderr
    assert "iconv" in refused.stderr
    assert "LATIN" not in _names(envkeep)


def test_run_names_a_nul_it_cannot_pass_on() -> None:
    with pytest.raises(InputError, match="the value of BLOB contains a NUL character"):
        exec_command(["true"], {"PATH": "/usr/bin:/bin", "BLOB": "x\0y"})


def test_one_variable_over_what_linux_takes_is_named_as_such(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "BIG", "--service", "api", stdin="x" * 60_000)
    envkeep.ok("set", "HUGE=${BIG}${BIG}${BIG}", "--service", "api")

    failed = envkeep("run", "--service", "api", "--", "true")

    assert failed.code != 0, failed.describe()
    assert "HUGE is 180,006 bytes, more than the 128 KiB one variable may hold" in failed.stderr


def test_an_output_path_that_is_a_directory_is_said_so_at_once(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    refused = envkeep("export", "--service", "api", "-o", str(tmp_path))

    assert refused.code == 2, refused.describe()
    assert f"{tmp_path}: Is a directory" in refused.stderr  # as every input path says it
    assert "--force" not in refused.stderr


# Puts a new line for a name at the top, leaving the old one below it.
TOP = """\
import pathlib, sys
buffer = pathlib.Path(sys.argv[1])
buffer.write_text("LOG_LEVEL=trace\\n" + buffer.read_text(encoding="utf-8"), encoding="utf-8")
"""


def test_an_edit_that_gives_a_name_twice_is_refused_and_kept(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    envkeep.ok("set", "LOG_LEVEL=info", "--service", "api")
    editor = tmp_path / "top.py"
    editor.write_text(TOP, encoding="utf-8")

    refused = envkeep("edit", "--service", "api", env=editor_env(editor))

    assert refused.code == 2, refused.describe()
    assert "LOG_LEVEL is given twice in the text" in refused.stderr
    assert "your text is kept in" in refused.stderr
    listed = json.loads(envkeep.ok("list", "--json", "--reveal", "--service", "api").stdout)
    assert {v["name"]: v["value"] for v in listed}["LOG_LEVEL"] == "info"


def test_a_mistyped_service_is_named_as_likely_meant_and_an_empty_one_refused(
    envkeep: Envkeep, project: Path
) -> None:
    typo = envkeep("schema", "show", "apii")
    empty = envkeep("get", "X", "--service", "")

    assert typo.code == 1, typo.describe()
    assert "hint: did you mean 'api'?" in typo.stderr
    assert empty.code == 2, empty.describe()
    assert "--service needs a name" in empty.stderr


def test_validate_prints_no_empty_line(envkeep: Envkeep, project: Path) -> None:
    checked = envkeep("validate", "--all")

    assert "" not in checked.err_lines + checked.stdout.splitlines(), checked.describe()
    assert any(" in 2 services (dev)" in line for line in checked.err_lines), checked.describe()
