"""Every exit code an error of core/errors.py ends the CLI with is a row of README's table of
exit codes, and `envkeep server`'s two start failures a supervisor acts on differently (its
port taken, its database not opened) each have one of their own, not the failure's 1."""

from __future__ import annotations

import re
from pathlib import Path

from envkeep.core import errors

README = Path(__file__).resolve().parents[1] / "README.md"


def _error_tree(error: type[errors.EnvkeepError]) -> list[type[errors.EnvkeepError]]:
    return [error, *(e for child in error.__subclasses__() for e in _error_tree(child))]


def _documented_codes() -> set[int]:
    table = README.read_text().split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    rows = (line.split("|")[1] for line in table.splitlines() if re.match(r"\| \d", line))
    return {int(code) for row in rows for code in row.split(",")}


def test_every_exit_code_of_the_error_tree_is_in_the_readme_table() -> None:
    used = {
        e.exit_code for e in _error_tree(errors.EnvkeepError) if e.__module__ == errors.__name__
    }
    assert used - _documented_codes() == set()


def test_a_port_in_use_and_a_database_not_opened_each_have_their_own_exit_code() -> None:
    codes = {errors.PortInUse.exit_code, errors.DatabaseUnopened.exit_code}
    others = {
        e.exit_code
        for e in _error_tree(errors.EnvkeepError)
        if e not in (errors.PortInUse, errors.DatabaseUnopened)
    }
    assert codes == {6, 7}
    assert codes & others == set()
