"""Ctrl-C at a question (`env delete`'s "are you sure") interrupts the command as it does
anywhere else: exit 130, nothing changed; not click's "Aborted!", exit 1. Answering "no" is
the user's choice: "aborted; nothing changed", exit 1, no hint to pass --yes."""

from __future__ import annotations

import json
from signal import SIGINT
from typing import TYPE_CHECKING

from .config_fixtures import answer_prompts

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_ctrl_c_at_a_confirmation_interrupts_and_changes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    code, written = answer_prompts(envkeep, ["env", "delete", "staging"], [(b"[y/N]", SIGINT)])

    assert code == 130, written
    assert "Aborted!" not in written
    listed = json.loads(envkeep.ok("env", "list", "--json").stdout)
    assert "staging" in [e["name"] for e in listed]


def test_no_at_a_confirmation_aborts_with_exit_1_and_no_yes_hint(
    envkeep: Envkeep, project: Path
) -> None:
    code, written = answer_prompts(envkeep, ["env", "delete", "staging"], [(b"[y/N]", b"n\n")])

    assert code == 1, written
    assert "error: aborted; nothing changed" in written
    assert "--yes" not in written
    assert "not confirmed" not in written
    listed = json.loads(envkeep.ok("env", "list", "--json").stdout)
    assert "staging" in [e["name"] for e in listed]


def test_no_at_a_protected_environment_question_aborts_the_same_way(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("env", "edit", "staging", "--protect")

    code, written = answer_prompts(
        envkeep, ["set", "A=1", "--env", "staging"], [(b"[y/N]", b"n\n")]
    )

    assert code == 1, written
    assert "error: aborted; nothing changed" in written
    assert "hint:" not in written
    assert envkeep("get", "A", "--env", "staging").code == 1


def test_without_a_terminal_a_missing_yes_stays_a_usage_error(
    envkeep: Envkeep, project: Path
) -> None:
    result = envkeep("env", "delete", "staging")

    assert result.code == 2, result.describe()
    assert "--yes" in result.stderr
