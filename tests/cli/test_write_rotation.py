"""unset, rollback, rollback --to-time, promote and import across a key rotation: a rotation
between a command's read and its write (a member or token revoked meanwhile) re-encrypts every
value, which is no conflicting write, so the command's batch is planned again under the new
key and written (`conflicts.write_changes`); a real change of a name it writes still conflicts,
named alone.

One level below the CLI, as test_value_conflicts.py: a command that reads and writes in one
call meets the rotation from its schema check (run between the two); promote and
rollback --to-time are planned, then the key rotates, then they are applied.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client import (
    import_batch,
    promotion,
    scope_rollback,
    variable_history,
    variables,
)
from envkeep.client.key_rotation import rotate_key
from envkeep.client.vault import OpenEnvironment
from envkeep.core.errors import ConflictError

from .conftest import server_only

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

    from envkeep.client.backend import Backend
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import Identity

    from .conftest import Homes


def opened(backend: Backend, identity: Identity, env: str) -> OpenEnvironment:
    return OpenEnvironment.read(backend, identity, "shop", env, None)


def write(backend: Backend, identity: Identity, env: str, changes: dict[str, str | None]) -> None:
    """Another client's write, planned from a read of its own."""
    planned = opened(backend, identity, env).plan_writes(SHARED_SCOPE, changes)
    backend.write_secrets("shop", env, planned)


def shared(backend: Backend, identity: Identity, env: str = "dev") -> dict[str, str]:
    return {v.name: v.value for v in opened(backend, identity, env).variables(SHARED_SCOPE)}


def key_versions(client: ClientContext, identity: Identity, name: str) -> list[int]:
    found = opened(client.backend, identity, "dev").find(SHARED_SCOPE, name)
    assert found is not None
    return [v.key_version for v in client.backend.secret_history("shop", "dev", found.secret_id)[0]]


# A test here sends the session's server about 35 requests in a fraction of a second, in
# process; it allows 50 a second from an address (burst 200), and tests that follow share it.
PACE = 0.8  # seconds a test takes at least


@pytest.fixture
def team(client: ClientContext, identity: Identity, homes: Homes) -> Iterator[ClientContext]:
    """dev's shared scope holds LOG_LEVEL=info, PORT=3000; on a team server (rotations)."""
    server_only(homes, "key rotations")
    started = time.monotonic()
    write(client.backend, identity, "dev", {"LOG_LEVEL": "info", "PORT": "3000"})
    yield client
    time.sleep(max(0.0, PACE - (time.monotonic() - started)))


def rotating_on_check(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    client: ClientContext,
    *then: Any,
    check: str = "refuse_violations",
) -> None:
    """``module``'s schema check ``check`` (after the command's read, before its write) first
    rotates dev's key, then makes each write of ``then`` ((backend, identity, env, changes))."""
    checked = getattr(module, check)

    def rotate_then_check(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(module, check, checked)  # once
        rotate_key(client, "dev")
        for other in then:
            write(*other)
        checked(*args, **kwargs)

    monkeypatch.setattr(module, check, rotate_then_check)


def test_unset_across_a_rotation_is_written(
    team: ClientContext, identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotating_on_check(monkeypatch, variables, team)

    done = variables.unset_variables(team, "dev", None, ["PORT"], confirmed=True)

    assert done.count == 1
    assert shared(team.backend, identity) == {"LOG_LEVEL": "info"}
    assert opened(team.backend, identity, "dev").key_version == 2


def test_unset_of_a_value_changed_meanwhile_conflicts_naming_it_alone(
    team: ClientContext, identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = (team.backend, identity, "dev", {"PORT": "5000"})
    rotating_on_check(monkeypatch, variables, team, theirs)

    with pytest.raises(ConflictError) as refused:
        variables.unset_variables(team, "dev", None, ["LOG_LEVEL", "PORT"], confirmed=True)

    message = refused.value.message
    assert message.startswith("changed by another write while this command ran: PORT (now ")
    assert "LOG_LEVEL" not in message  # only re-encrypted
    assert shared(team.backend, identity) == {"LOG_LEVEL": "info", "PORT": "5000"}


def test_rollback_across_a_rotation_is_written_under_the_new_key(
    team: ClientContext, identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(team.backend, identity, "dev", {"LOG_LEVEL": "debug"})
    rotating_on_check(monkeypatch, variable_history, team)

    done = variable_history.rollback(team, "dev", None, "LOG_LEVEL", 1, confirmed=True)

    assert (done.version, done.written) == (4, True)  # set, set, re-encrypted, rolled back
    assert shared(team.backend, identity)["LOG_LEVEL"] == "info"
    assert key_versions(team, identity, "LOG_LEVEL") == [1, 1, 2, 2]


def test_import_across_a_rotation_is_written(
    team: ClientContext, identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an import is `import_batch`'s batch of one scope, checked there
    rotating_on_check(monkeypatch, import_batch, team, check="refuse_violations_across")

    plan = variables.import_values(
        team, "dev", None, {"PORT": "4000", "NEW": "x"}, on_conflict="overwrite", confirmed=True
    )

    assert (plan.new, plan.changed) == (("NEW",), ("PORT",))
    assert shared(team.backend, identity) == {"LOG_LEVEL": "info", "PORT": "4000", "NEW": "x"}
    assert opened(team.backend, identity, "dev").key_version == 2  # it rotated meanwhile


def test_rollback_to_a_time_planned_before_a_rotation_is_applied(
    team: ClientContext, identity: Identity
) -> None:
    before = datetime(2000, 1, 1, tzinfo=UTC)  # LOG_LEVEL and PORT did not exist yet
    back = scope_rollback.plan_scope_rollback(team, "dev", None, before)
    rotate_key(team, "dev")

    assert scope_rollback.apply_scope_rollback(team, back) == 2  # both created since 2000

    assert shared(team.backend, identity) == {}


def test_promote_planned_before_a_rotation_of_its_target_is_applied(
    team: ClientContext, identity: Identity
) -> None:
    write(team.backend, identity, "staging", {"LOG_LEVEL": "warn", "PORT": "3000"})
    prepared = promotion.prepare_promotion(
        team, "dev", "staging", promotion.plan_promotion(team, "dev", "staging")
    )
    rotate_key(team, "staging")

    assert promotion.apply_promotion(team, prepared) == 1

    assert shared(team.backend, identity, "staging") == {"LOG_LEVEL": "info", "PORT": "3000"}
    assert opened(team.backend, identity, "staging").key_version == 2


def test_promote_over_a_value_changed_during_a_rotation_conflicts_naming_it_alone(
    team: ClientContext, identity: Identity
) -> None:
    write(team.backend, identity, "staging", {"LOG_LEVEL": "warn", "PORT": "4000"})
    prepared = promotion.prepare_promotion(
        team, "dev", "staging", promotion.plan_promotion(team, "dev", "staging")
    )
    rotate_key(team, "staging")
    write(team.backend, identity, "staging", {"PORT": "5000"})

    with pytest.raises(ConflictError) as refused:
        promotion.apply_promotion(team, prepared)

    message = refused.value.message
    assert message.startswith("changed by another write while this command ran: PORT (now ")
    assert "LOG_LEVEL" not in message
    assert shared(team.backend, identity, "staging") == {"LOG_LEVEL": "warn", "PORT": "5000"}
