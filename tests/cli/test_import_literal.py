"""`import --literal`: every value is the file's text, a `${` in it no reference. An export
holds resolved values, so a literal `${` there (stored as `$${`) came back from a JSON or YAML
import as a reference, and `get`/`run` then failed."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

VALUES = {
    "TPL": "Hello ${NAME}",
    "DOLLARS": "$${x} and $ and ${",
    "PLAIN": "x=1 # not a comment",
    "EMPTY": "",
}


@pytest.mark.parametrize("fmt", ["json", "yaml", "dotenv"])
def test_an_export_imported_with_literal_gives_back_the_same_values(
    envkeep: Envkeep, project: Path, fmt: str
) -> None:
    stored = {name: value.replace("${", "$${") for name, value in VALUES.items()}
    envkeep.ok("set", *(f"{n}={v}" for n, v in stored.items()), "--env", "dev")
    exported = project / f"dev.{ {'json': 'json', 'yaml': 'yaml', 'dotenv': 'env'}[fmt] }"
    envkeep.ok("export", "--env", "dev", "--format", fmt, "-o", str(exported))
    envkeep.ok("env", "create", "qa")

    done = envkeep("import", str(exported), "--env", "qa", "--literal", "--yes")

    assert done.code == 0, done.describe()
    assert "warning" not in done.stderr
    listed = json.loads(envkeep.ok("export", "--env", "qa", "--format", "json").stdout)
    assert listed == VALUES


def test_an_import_whose_references_do_not_resolve_points_to_a_literal_import_that_works(
    envkeep: Envkeep, project: Path
) -> None:
    """The import wrote the values already: --literal alone would fail as a conflict."""
    source = project / "my export.json"
    source.write_text(json.dumps({"TPL": "Hello ${NAME}"}), encoding="utf-8")

    done = envkeep("import", str(source), "--env", "dev", "--yes")

    assert done.code == 0, done.describe()
    assert envkeep("get", "TPL", "--env", "dev").code == 3  # a reference, not set
    hint, command = done.err_lines[-1].split(" import it again as text: ")
    assert hint == (
        "hint: if the file's ${...} are text, not references (a file envkeep export wrote, say),"
    )
    assert command == (
        f"envkeep import {shlex.quote(str(source))} --env dev --literal --on-conflict overwrite"
        " --yes"
    )
    again = envkeep(*shlex.split(command)[1:])
    assert again.code == 0, again.describe()
    assert envkeep.ok("get", "TPL", "--env", "dev").stdout == "Hello ${NAME}\n"


def test_the_literal_hint_after_a_skipping_import_names_what_overwrite_would_take(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "KEEP=mine", "--env", "dev")
    source = project / "in.env"
    source.write_text("KEEP=from-file\nTPL=${HOME_DIR}/x\n", encoding="utf-8")

    done = envkeep("import", str(source), "--env", "dev", "--on-conflict", "skip", "--yes")

    assert done.code == 0, done.describe()
    assert done.err_lines[-1].endswith("(it overwrites the names this import skipped too: KEEP)")
    assert envkeep.ok("get", "KEEP", "--env", "dev").stdout == "mine\n"
