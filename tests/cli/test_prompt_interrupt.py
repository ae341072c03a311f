"""Ctrl-C at a question (`env delete`'s "are you sure") interrupts the command as it does
anywhere else: exit 130, nothing changed; not click's "Aborted!", exit 1."""

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
