"""`conflicts.write_changes`: a write planned from a read is a conflict only where another
write changed the value of a name it changes (compared in plaintext, by the client: the
server cannot). A new version holding the value read (a key rotation's re-encryption above
all, or a write of the same value) is planned again against a new read, sealed under the
data key current then, and written.

One level below the CLI, as test_concurrency.py: two clients open the same environment on
the backend the CLI uses (``OpenEnvironment.read``), the second writes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.conflicts import write_changes
from envkeep.client.vault import OpenEnvironment
from envkeep.core.errors import ConflictError

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from envkeep.client.backend import Backend
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import Identity

    from .conftest import Envkeep, Homes


def open_dev(backend: Backend, identity: Identity) -> OpenEnvironment:
    return OpenEnvironment.read(backend, identity, "shop", "dev", None)


def write(backend: Backend, identity: Identity, changes: dict[str, str | None]) -> None:
    """Another client's write, planned from a read of its own."""
    backend.write_secrets(
        "shop", "dev", open_dev(backend, identity).plan_writes(SHARED_SCOPE, changes)
    )


def current(backend: Backend, identity: Identity) -> dict[str, str]:
    return {v.name: v.value for v in open_dev(backend, identity).variables(SHARED_SCOPE)}


@pytest.fixture
def two_set(store_backend: Backend, identity: Identity) -> Backend:
    write(store_backend, identity, {"LOG_LEVEL": "info", "PORT": "3000"})
    return store_backend


def test_a_new_version_of_the_value_read_is_no_conflict(
    client: ClientContext, two_set: Backend, identity: Identity
) -> None:
    mine = open_dev(two_set, identity)
    write(two_set, identity, {"LOG_LEVEL": "info"})  # version 2, the same value

    write_changes(client, mine, None, {"LOG_LEVEL": "debug", "NEW": "x"}, confirmed=True)

    assert current(two_set, identity) == {"LOG_LEVEL": "debug", "PORT": "3000", "NEW": "x"}


def test_another_value_written_meanwhile_is_a_conflict_and_nothing_is_written(
    client: ClientContext, two_set: Backend, identity: Identity
) -> None:
    mine = open_dev(two_set, identity)
    write(two_set, identity, {"LOG_LEVEL": "theirs"})

    with pytest.raises(ConflictError) as refused:
        write_changes(client, mine, None, {"LOG_LEVEL": "debug", "NEW": "x"}, confirmed=True)

    assert refused.value.message.startswith(
        "changed by another write while this command ran: LOG_LEVEL (now version 2, by "
    )
    assert current(two_set, identity) == {"LOG_LEVEL": "theirs", "PORT": "3000"}


def test_a_name_deleted_or_created_meanwhile_is_a_conflict(
    client: ClientContext, two_set: Backend, identity: Identity
) -> None:
    mine = open_dev(two_set, identity)
    write(two_set, identity, {"PORT": None, "NEW": "theirs"})

    with pytest.raises(ConflictError):
        write_changes(client, mine, None, {"PORT": "4000"}, confirmed=True)
    with pytest.raises(ConflictError):
        write_changes(client, mine, None, {"NEW": "mine"}, confirmed=True)

    assert current(two_set, identity) == {"LOG_LEVEL": "info", "NEW": "theirs"}


def test_a_key_rotation_is_no_conflict_and_the_write_is_sealed_under_the_new_key(
    client: ClientContext, two_set: Backend, identity: Identity, homes: Homes
) -> None:
    server_only(homes, "key rotations")
    from envkeep.client.key_rotation import rotate_key

    mine = open_dev(two_set, identity)
    assert rotate_key(client, "dev") == 2

    write_changes(client, mine, None, {"LOG_LEVEL": "debug", "PORT": None}, confirmed=True)

    now = open_dev(two_set, identity)
    assert now.key_version == 2
    assert {v.name: v.value for v in now.variables(SHARED_SCOPE)} == {"LOG_LEVEL": "debug"}
    history = client.backend.secret_history("shop", "dev", now.variables(SHARED_SCOPE)[0].secret_id)
    assert [v.key_version for v in history[0]] == [1, 2, 2]  # set, re-encrypted, the edit's


def test_after_a_rotation_a_conflict_names_only_the_values_that_changed(
    client: ClientContext, two_set: Backend, identity: Identity, homes: Homes
) -> None:
    server_only(homes, "key rotations")
    from envkeep.client.key_rotation import rotate_key

    mine = open_dev(two_set, identity)
    rotate_key(client, "dev")
    write(two_set, identity, {"PORT": "5000"})

    with pytest.raises(ConflictError) as refused:
        write_changes(client, mine, None, {"LOG_LEVEL": "debug", "PORT": "4000"}, confirmed=True)

    message = refused.value.message
    assert message.startswith("changed by another write while this command ran: PORT (now ")
    assert "LOG_LEVEL" not in message  # only re-encrypted: the value read is the value there
    assert current(two_set, identity) == {"LOG_LEVEL": "info", "PORT": "5000"}


def test_a_conflict_names_a_token_author_as_history_does(
    client: ClientContext,
    two_set: Backend,
    identity: Identity,
    homes: Homes,
    envkeep: Envkeep,
) -> None:
    server_only(homes, "service-account tokens")
    assert homes.server is not None
    made = ("token", "create", "ci-w", "--project", "shop", "--env", "dev", "--role", "write")
    token = quick_ok(envkeep, *made).stdout.strip()
    mine = open_dev(two_set, identity)
    as_ci = {
        "ENVKEEP_TOKEN": token,
        "ENVKEEP_SERVER": homes.server.url,
        "ENVKEEP_HOME": str(envkeep.home.parent / "ci-home"),  # a CI runner's, no login
    }
    quick_ok(envkeep, "set", "LOG_LEVEL=theirs", "--env", "dev", env=as_ci)

    with pytest.raises(ConflictError) as refused:
        write_changes(client, mine, None, {"LOG_LEVEL": "debug"}, confirmed=True)

    assert "by token ci-w at " in refused.value.message
    assert "sa:" not in refused.value.message
