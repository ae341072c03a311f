"""All or nothing, and no lost updates: a write planned from a stale read is a conflict.

The stale-write tests work one level below the CLI: two clients open the same environment
(``OpenEnvironment.read`` on the backend the CLI uses), the first writes, then the second's
plan must be refused and nothing of it stored. The last tests race real `envkeep set`
processes against each other.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.conflicts import write_planned
from envkeep.client.vault import OpenEnvironment
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.client.backend import Backend
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import Identity

    from .conftest import Envkeep


def open_dev(backend: Backend, identity: Identity) -> OpenEnvironment:
    return OpenEnvironment.read(backend, identity, "shop", "dev", [])


def write(opened: OpenEnvironment, backend: Backend, changes: dict[str, str | None]) -> None:
    backend.write_secrets("shop", "dev", opened.plan_writes(SHARED_SCOPE, changes))


def current(backend: Backend, identity: Identity) -> dict[str, str]:
    return {v.name: v.value for v in open_dev(backend, identity).variables(SHARED_SCOPE)}


@pytest.fixture
def with_log_level(store_backend: Backend, identity: Identity) -> Backend:
    write(open_dev(store_backend, identity), store_backend, {"LOG_LEVEL": "info"})
    return store_backend


def test_stale_write_is_rejected_with_conflict_and_the_first_writer_wins(
    with_log_level: Backend, identity: Identity, envkeep: Envkeep, project: Path
) -> None:
    first, second = open_dev(with_log_level, identity), open_dev(with_log_level, identity)
    write(first, with_log_level, {"LOG_LEVEL": "first"})
    stale = second.plan_writes(SHARED_SCOPE, {"LOG_LEVEL": "second"})

    with pytest.raises(ConflictError):
        with_log_level.write_secrets("shop", "dev", stale)

    assert current(with_log_level, identity) == {"LOG_LEVEL": "first"}
    assert envkeep.ok("get", "LOG_LEVEL", "--env", "dev").stdout == "first\n"


@pytest.mark.parametrize("stale_first", [True, False], ids=["stale-first", "stale-last"])
def test_a_batch_with_one_stale_item_writes_none_of_it(
    with_log_level: Backend, identity: Identity, stale_first: bool
) -> None:
    first, second = open_dev(with_log_level, identity), open_dev(with_log_level, identity)
    write(first, with_log_level, {"LOG_LEVEL": "first"})
    fresh = second.plan_writes(SHARED_SCOPE, {"NEW_ONE": "x", "NEW_TWO": "y"})
    stale = second.plan_writes(SHARED_SCOPE, {"LOG_LEVEL": "second"})
    batch = [*stale, *fresh] if stale_first else [*fresh, *stale]

    with pytest.raises(ConflictError):
        with_log_level.write_secrets("shop", "dev", batch)

    assert current(with_log_level, identity) == {"LOG_LEVEL": "first"}


def test_two_clients_creating_the_same_name_conflict(
    store_backend: Backend, identity: Identity
) -> None:
    first, second = open_dev(store_backend, identity), open_dev(store_backend, identity)
    write(first, store_backend, {"NEW": "first"})

    with pytest.raises(ConflictError):
        write(second, store_backend, {"NEW": "second"})

    assert current(store_backend, identity) == {"NEW": "first"}


def test_a_name_created_meanwhile_is_named_with_its_author_in_the_conflict(
    client: ClientContext, store_backend: Backend, identity: Identity
) -> None:
    first, second = open_dev(store_backend, identity), open_dev(store_backend, identity)
    write(first, store_backend, {"NEW": "first"})

    with pytest.raises(ConflictError) as refused:
        write_planned(client, second, second.plan_writes(SHARED_SCOPE, {"NEW": "second"}))

    message = refused.value.message
    assert message.startswith(
        "changed by another write while this command ran: NEW (now version 1, by "
    )
    assert (
        refused.value.hint
        == "see the new values (envkeep list --env dev), then run your command again"
    )
    assert current(store_backend, identity) == {"NEW": "first"}


def test_a_stale_delete_is_rejected(with_log_level: Backend, identity: Identity) -> None:
    first, second = open_dev(with_log_level, identity), open_dev(with_log_level, identity)
    write(first, with_log_level, {"LOG_LEVEL": "first"})

    with pytest.raises(ConflictError):
        write(second, with_log_level, {"LOG_LEVEL": None})

    assert current(with_log_level, identity) == {"LOG_LEVEL": "first"}


def test_set_with_one_bad_pair_writes_nothing(envkeep: Envkeep, project: Path) -> None:
    result = envkeep("set", "GOOD=1", "bad name=2", "--env", "dev")

    assert result.code == 2
    assert "'bad name'" in result.err_lines[0]
    assert envkeep("get", "GOOD", "--env", "dev").code == 1


def test_unset_with_one_unknown_name_deletes_nothing(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep("unset", "LOG_LEVEL", "NOPE", "--env", "dev")

    assert result.code == 1
    assert "'NOPE'" in result.err_lines[0]
    assert envkeep.ok("get", "LOG_LEVEL", "--env", "dev").stdout == "info\n"


def test_concurrent_sets_of_different_names_all_land(envkeep: Envkeep, project: Path) -> None:
    results = envkeep.many(*(("set", f"PARALLEL_{i}={i}", "--env", "dev") for i in range(6)))

    assert [r.code for r in results] == [0] * 6, [r.stderr for r in results]
    listed = json.loads(envkeep.ok("list", "--env", "dev", "--json", "--reveal").stdout)
    assert {v["name"]: v["value"] for v in listed} == {f"PARALLEL_{i}": str(i) for i in range(6)}


def test_concurrent_sets_of_one_name_all_land_one_version_each(
    envkeep: Envkeep, project: Path
) -> None:
    # A set is blind: a race lost to another write is read and planned again (last writer
    # wins), so parallel jobs setting one name all succeed, and none is lost.
    results = envkeep.many(*(("set", f"RACED=writer-{i}", "--env", "dev") for i in range(6)))

    assert [r.code for r in results] == [0] * 6, [r.stderr for r in results]
    history = json.loads(
        envkeep.ok("history", "RACED", "--env", "dev", "--json", "--reveal").stdout
    )
    assert sorted(h["value"] for h in history) == sorted(f"writer-{i}" for i in range(6))
    assert [h["version"] for h in history] == list(range(1, 7))


def test_a_set_that_keeps_losing_its_race_is_a_conflict_naming_the_winner(
    client: ClientContext,
    store_backend: Backend,
    identity: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from envkeep.client import opening, variables

    write(open_dev(store_backend, identity), store_backend, {"RACED": "start"})
    real = opening.open_for_write
    rival = iter(range(variables.SET_ATTEMPTS))

    def read_then_lose(*args: object, **kwargs: object) -> OpenEnvironment:
        opened = real(*args, **kwargs)  # type: ignore[arg-type]
        write(open_dev(store_backend, identity), store_backend, {"RACED": f"rival-{next(rival)}"})
        return opened

    monkeypatch.setattr(variables, "open_for_write", read_then_lose)  # where set looks it up
    with pytest.raises(ConflictError) as refused:
        variables.set_variables(client, "dev", None, {"RACED": "mine"})

    assert refused.value.message.startswith(
        "changed by another write while this command ran: RACED (now version"
    )
    last = f"rival-{variables.SET_ATTEMPTS - 1}"
    assert current(store_backend, identity) == {"RACED": last}
