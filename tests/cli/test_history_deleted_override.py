"""A service's history of a name ending in a deletion (an override `lift` or `unset` removed)
says that the service now sees the shared value, and where its history is: it read as if the
service had lost the variable. A deletion with nothing shared behind it says nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_a_deleted_override_points_at_the_shared_history_the_service_now_sees(
    envkeep: Envkeep, seeded: Path
) -> None:
    quick_ok(envkeep, "unset", "PORT", "--env", "dev", "--service", "api", "--yes")
    quick_ok(envkeep, "set", "ONLY_API=1", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "unset", "ONLY_API", "--env", "dev", "--service", "api", "--yes")

    lifted = envkeep("history", "PORT", "--env", "dev", "--service", "api")
    gone = envkeep("history", "ONLY_API", "--env", "dev", "--service", "api")
    as_json = envkeep("history", "PORT", "--env", "dev", "--service", "api", "--json")

    assert lifted.code == 0, lifted.describe()
    assert lifted.stdout.splitlines()[-1].split()[1] == "(deleted)", lifted.describe()
    assert lifted.err_lines == [
        "api sees the shared PORT now: envkeep history PORT --env dev --service -"
    ], lifted.describe()
    assert gone.code == 0, gone.describe()
    assert gone.stderr == "", gone.describe()
    assert as_json.code == 0, as_json.describe()
    assert as_json.stderr == "", as_json.describe()  # a script's JSON, nothing said beside it
