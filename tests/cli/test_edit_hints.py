"""The `edit --from` command a failed `edit` hints at works as given: off a terminal it
carries --yes (`edit --from` asks first, and nothing could answer), and after `--overwrite`
it keeps --overwrite.

dev's shared scope holds DB_HOST=db.dev.internal and LOG_LEVEL=info (config_fixtures.STORED).
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    stored_in,
)
from .test_config_edit import recovered
from .test_edit_rotation import SHARED, editing

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Result


def hinted_apply(result: Result) -> list[str]:
    """The arguments of the first `envkeep edit … --from …` the refusal's hint gives."""
    command = result.err_lines[1].split("to apply it once corrected: ", 1)[1].split(";")[0]
    words = shlex.split(command)
    assert words[:2] == ["envkeep", "edit"], command
    return words[1:]


def test_a_refused_edit_hints_an_edit_from_that_applies_off_a_terminal(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    env = editing(tmp_path, replace=(("LOG_LEVEL=info", "LOG_LEVEL=warn"),), append="not a line\n")
    refused = envkeep(*SHARED, env=env)
    assert refused.code == 1, refused.describe()
    [kept] = recovered(envkeep)
    kept.write_text(kept.read_text(encoding="utf-8").replace("not a line", ""), encoding="utf-8")

    applied = envkeep(*hinted_apply(refused))

    assert applied.code == 0, applied.describe()
    assert "--yes" in hinted_apply(refused)
    assert stored_in(envkeep, "dev", None)["LOG_LEVEL"] == "warn"


def test_after_overwrite_the_hint_keeps_overwrite(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    """Another write changes DB_HOST while the editor is open: the edit conflicts; its
    `--overwrite` command, run without --yes, is not confirmed; the command that hint gives
    writes the user's value over the other write's."""
    other = ["set", "DB_HOST=db.other.internal", "--env", "dev", "--service", "-"]
    env = editing(tmp_path, other, replace=(("=db.dev.internal", "=db.mine.internal"),))
    conflicted = envkeep(*SHARED, env=env)
    [kept] = recovered(envkeep)

    unconfirmed = envkeep("edit", "--from", str(kept), "--overwrite")
    hint = unconfirmed.err_lines[-1].split("to apply it: ", 1)[1]  # after the plan shown
    done = envkeep(*shlex.split(hint)[1:])

    assert conflicted.code == 1, conflicted.describe()
    assert unconfirmed.code == 2, unconfirmed.describe()
    assert {"--overwrite", "--yes"} <= set(shlex.split(hint))
    assert done.code == 0, done.describe()
    assert stored_in(envkeep, "dev", None)["DB_HOST"] == "db.mine.internal"
