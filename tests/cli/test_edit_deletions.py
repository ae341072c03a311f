"""`envkeep edit` and deletions: a buffer with no variable left cancels the edit (git's empty
commit message, kubectl edit's empty file), and a deletion of most of a scope is shown and
asked first (off a terminal: --yes).

dev's worker scope holds API_URL (its schema requires it), CONCURRENCY, RETRY_DELAY and
VERBOSE; dev's shared scope DB_HOST, DB_PASSWORD and LOG_LEVEL (config_fixtures.STORED).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    answer_prompts,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    editor_env,
    on_terminal,
    stored_in,
)
from .test_config_edit import recovered, script

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

# What an editor leaves in the buffer: nothing, or its comments and blank lines only.
EMPTIED = {
    "empty": "buffer.write_text('', encoding='utf-8')",
    "comments-only": "buffer.write_text(''.join(l for l in text.splitlines(keepends=True)"
    " if not l.strip() or l.startswith('#')), encoding='utf-8')",
}

# Counts its runs in {here}/runs, then does {change} to the buffer (``text``: what it read).
EDITOR = """\
import pathlib, sys
buffer = pathlib.Path(sys.argv[1])
runs = pathlib.Path({here!r}) / "runs"
runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
text = buffer.read_text(encoding="utf-8")
{change}
"""

FAILING = "import sys; sys.exit(1)"


def editor(tmp_path: Path, change: str) -> dict[str, str | None]:
    """The environment of an `edit` whose editor does ``change``."""
    source = EDITOR.format(here=str(tmp_path), change=change)
    return editor_env(script(tmp_path / "editor.py", source))


def dropping(*names: str) -> str:
    """An editor's change that deletes the lines of ``names``."""
    kept = f"[l for l in text.splitlines(keepends=True) if l.split('=')[0] not in {names!r}]"
    return f"buffer.write_text(''.join({kept}), encoding='utf-8')"


@pytest.mark.parametrize("emptied", sorted(EMPTIED))
def test_an_emptied_buffer_cancels_the_edit_and_deletes_nothing(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, emptied: str
) -> None:
    before = stored_in(envkeep, "dev")
    edit = ("edit", "--env", "dev", "--service", "-")

    result = envkeep(*edit, env=editor(tmp_path, EMPTIED[emptied]))
    failed = envkeep(*edit, env=editor_env(script(tmp_path / "fail.py", FAILING)))

    assert result.code == failed.code == 2, result.describe()  # as an editor that fails
    assert_one_line_error(
        result, "the edit was cancelled: the buffer was emptied (no variable left)",
        "nothing changed",
    )  # fmt: skip
    assert result.err_lines[1] == (
        "hint: to unset every variable of dev (shared) on purpose:"
        " envkeep unset DB_HOST DB_PASSWORD LOG_LEVEL --env dev --service -"
    )
    assert stored_in(envkeep, "dev") == before
    assert recovered(envkeep) == []  # nothing to keep: the text held no variable


def test_an_emptied_buffer_on_a_terminal_cancels_without_opening_it_again(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    before = stored_in(envkeep, "dev", "worker")

    code, shown = on_terminal(
        envkeep,
        *("edit", "--env", "dev", "--service", "worker"),
        env={**editor(tmp_path, EMPTIED["empty"]), "CI": None},
        stdin_terminal=True,
    )

    assert code == 2, shown
    assert b"the edit was cancelled: the buffer was emptied" in shown
    assert (tmp_path / "runs").read_text() == "1"
    assert stored_in(envkeep, "dev", "worker") == before


def test_edit_from_a_file_without_a_variable_cancels_too(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    before = stored_in(envkeep, "dev", "worker")
    empty = tmp_path / "blank.env"
    empty.write_text("# nothing here\n\n", encoding="utf-8")

    result = envkeep("edit", "--env", "dev", "--service", "worker", "--from", str(empty), "--yes")

    assert result.code == 2, result.describe()
    assert_one_line_error(result, f"the edit was cancelled: {empty} holds no variable")
    assert "envkeep unset API_URL CONCURRENCY RETRY_DELAY VERBOSE --env dev" in result.stderr
    assert stored_in(envkeep, "dev", "worker") == before
    assert empty.exists()  # the user's own file


def test_an_emptied_buffer_of_an_empty_scope_is_no_change(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    result = envkeep(
        "edit", "--env", "staging", "--service", "worker", env=editor(tmp_path, EMPTIED["empty"])
    )

    assert result.code == 0, result.describe()
    assert result.err_lines == ["no changes"]


def test_unsetting_most_of_a_scope_off_a_terminal_needs_yes(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    before = stored_in(envkeep, "dev", "worker")
    edit = ("edit", "--env", "dev", "--service", "worker")
    env = editor(tmp_path, dropping("CONCURRENCY", "RETRY_DELAY", "VERBOSE"))

    refused = envkeep(*edit, env=env)
    unchanged = stored_in(envkeep, "dev", "worker")
    done = envkeep(*edit, "--yes", env=env)

    plan = ["  - CONCURRENCY", "  - RETRY_DELAY", "  - VERBOSE"]
    assert refused.code == 2, refused.describe()
    assert refused.err_lines[:5] == [
        *plan,
        "3 changes to dev (service worker) (+ new, ~ changed, - unset)",
        "this unsets 3 of the 4 variables of dev (service worker)",
    ], refused.describe()
    assert refused.err_lines[5] == "error: not confirmed; nothing changed"
    assert unchanged == before
    assert done.code == 0, done.describe()
    assert done.err_lines[-1] == "set 0, unset 3 in dev (service worker)"
    assert stored_in(envkeep, "dev", "worker") == {"API_URL": before["API_URL"]}
    # The text the editor left is kept, with the command that applies it (--yes included).
    [kept] = recovered(envkeep)
    hint = refused.err_lines[6]
    assert hint.startswith("hint: nothing was changed; your text is kept in "), hint
    assert hint.endswith(
        f"to apply it: envkeep edit --env dev --service worker --from {kept} --yes"
    )


@pytest.mark.parametrize(
    "names", [("CONCURRENCY", "VERBOSE"), ("RETRY_DELAY",)], ids=["half", "one"]
)
def test_unsetting_half_a_scope_or_less_is_not_asked(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, names: tuple[str, ...]
) -> None:
    result = envkeep(
        "edit", "--env", "dev", "--service", "worker", env=editor(tmp_path, dropping(*names))
    )

    assert result.code == 0, result.describe()
    assert result.err_lines == [f"set 0, unset {len(names)} in dev (service worker)"]


@pytest.mark.parametrize(("answer", "code"), [(b"n\n", 1), (b"y\n", 0)])
def test_unsetting_most_of_a_scope_on_a_terminal_shows_the_plan_and_asks(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path, answer: bytes, code: int
) -> None:
    before = stored_in(envkeep, "dev", "worker")
    env = editor(tmp_path, dropping("CONCURRENCY", "RETRY_DELAY", "VERBOSE"))

    done, shown = answer_prompts(
        envkeep, ["edit", "--env", "dev", "--service", "worker"], [(b"[y/N]", answer)], env=env
    )

    assert done == code, shown
    assert "  - RETRY_DELAY" in shown
    assert "this unsets 3 of the 4 variables of dev (service worker)" in shown
    after = stored_in(envkeep, "dev", "worker")
    assert after == (before if code else {"API_URL": before["API_URL"]})


def test_an_edit_that_removes_a_referenced_name_warns_as_unset_does(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    result = envkeep(
        "edit",
        "--env",
        "dev",
        "--service",
        "api",
        "--no-validate",  # PORT is required by api's schema: removed anyway, as unset allows
        env=editor(tmp_path, dropping("PORT")),
    )

    assert result.code == 0, result.describe()
    assert result.err_lines[-1] == (
        "warning: worker.API_URL refers to ${api.PORT}, which is no longer set; export and run"
        " will fail until it is set again"
    )
    assert "PORT" not in stored_in(envkeep, "dev", "api")
