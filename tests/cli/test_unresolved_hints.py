"""A command refused for a reference that does not resolve says what fixes it: `--no-validate`
skips a schema's findings, not such a reference, so it is offered only when it would help."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from .conftest import quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _hinted_commands(hint: str) -> list[list[str]]:
    """Each ``envkeep …`` command of a hint, as its words (after ``envkeep``)."""
    commands = [
        part.split(": envkeep ", 1)[1] for part in hint.split(", or ") if ": envkeep " in part
    ]
    return [shlex.split(command.split(";")[0]) for command in commands]


def test_an_unresolved_reference_is_hinted_to_be_set_or_unset_not_skipped(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "M=${NOPE}", "--env", "dev", "--service", "api")

    refused = envkeep("run", "--env", "dev", "--service", "api", "--", "true")

    assert refused.code == 3, refused.describe()
    hint = refused.err_lines[1]
    assert "--no-validate" not in hint
    assert hint == (
        "hint: set NOPE: envkeep set NOPE=VALUE --env dev --service api, or drop the reference:"
        " envkeep unset M --env dev --service api; see them all with: envkeep validate"
        " --env dev --service api"
    )
    set_it, unset_it = _hinted_commands(hint)
    quick_ok(envkeep, *[w.replace("=VALUE", "=x") for w in set_it])
    assert quick(envkeep, "validate", "--env", "dev", "--service", "api").code == 0
    quick_ok(envkeep, "set", "M=${NOPE}", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "unset", "NOPE", "--env", "dev", "--service", "api")
    quick_ok(envkeep, *unset_it)
    assert quick(envkeep, "validate", "--env", "dev", "--service", "api").code == 0


def test_a_reference_to_a_shared_value_is_unset_in_the_shared_scope(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "URL=${NOPE}/x", "--env", "dev")

    refused = quick(envkeep, "export", "--env", "dev", "--service", "api")

    assert refused.code == 3, refused.describe()
    assert "or drop the reference: envkeep unset URL --env dev --service -;" in refused.err_lines[1]
    assert "--no-validate" not in refused.err_lines[1]


def test_a_name_several_services_lack_is_hinted_to_be_set_in_the_shared_scope(
    envkeep: Envkeep, project: Path
) -> None:
    """Two services refer to NOPE, set nowhere: the hint sets it once, shared, for both,
    not for the first service alone (the other then failed next)."""
    for service in ("api", "worker"):
        quick_ok(envkeep, "set", "M=${NOPE}", "--env", "dev", "--service", service)

    refused = quick(envkeep, "activate-all", "--env", "dev")

    assert refused.code == 3, refused.describe()
    hint = next(line for line in refused.err_lines if line.startswith("hint: "))
    assert hint.startswith("hint: set NOPE: envkeep set NOPE=VALUE --env dev --service -,"), hint
    set_it = _hinted_commands(hint)[0]
    quick_ok(envkeep, *[w.replace("=VALUE", "=x") for w in set_it])
    assert quick(envkeep, "validate", "--env", "dev", "--all").code == 0
