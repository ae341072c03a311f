"""`history` of a service's override that ended in a deletion says whether the service now
sees the shared value from the environment it read the history with: it read (and, on a team
server, fetched and decrypted) the whole environment a second time to tell."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client import variable_history
from tests.counted_reads import backend_reads

from .conftest import quick_ok

if TYPE_CHECKING:
    import pytest

    from envkeep.client.context import ClientContext

    from .conftest import Envkeep


def test_the_history_of_a_deleted_override_reads_the_environment_once(
    client: ClientContext, envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_ok(envkeep, "set", "PORT=80", "--env", "dev")
    quick_ok(envkeep, "set", "PORT=81", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "unset", "PORT", "--env", "dev", "--service", "api", "--yes")
    quick_ok(envkeep, "set", "GONE=1", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "unset", "GONE", "--env", "dev", "--service", "api", "--yes")
    read = backend_reads(client, monkeypatch)

    lifted = variable_history.service_history(client, "dev", "api", "PORT")
    gone = variable_history.service_history(client, "dev", "api", "GONE")

    assert read == ["dev", "dev"]
    assert [e.state for e in lifted.entries][-1] == "deleted"
    assert lifted.shared_seen
    assert [e.state for e in gone.entries][-1] == "deleted"
    assert not gone.shared_seen
