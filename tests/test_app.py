"""The app layer: one authorisation check per use case, audit in the same transaction,
optimistic concurrency, all-or-nothing batches."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app import reads
from envkeep.app.audit import EventView, verify_chain
from envkeep.app.context import Actor, Call
from envkeep.app.environments import (
    create_environment,
    delete_environment,
    list_environments,
    share_data_key,
    update_environment,
)
from envkeep.app.policy import Role
from envkeep.app.projects import create_project
from envkeep.app.services import add_service
from envkeep.app.share_store import NewShare
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_batch
from envkeep.core.errors import (
    AlreadyExistsError,
    ConflictError,
    EnvironmentNotFound,
    EnvironmentProtected,
    InputError,
    NotAuthenticated,
    PermissionDenied,
    ProjectNotFound,
    UsageError,
)
from envkeep.store.models import AuditEvent, SecretVersion
from envkeep.store.sqlite_fetch import open_fetch
from tests.conftest import sqlite_only
from tests.store_members import add_member

if TYPE_CHECKING:
    from tests.conftest import Owner, Store

ENV_ID = "10000000-0000-4000-8000-000000000001"


def _project(store: Store, owner: Owner) -> None:
    store.run(
        owner.principal_id,
        lambda call: create_project(
            call,
            workspace_id=owner.workspace_id,
            name="shop",
            environments=[NewEnvironment(ENV_ID, "dev", b"sealed")],
        ),
    )


def _write(secret_id: str, expected: int, index: bytes = b"i" * 32) -> SecretWrite:
    return SecretWrite(
        secret_id=secret_id,
        scope="shared",
        name_index=index,
        expected_version=expected,
        key_version=1,
        name_ct=b"name-ct",
        value_ct=os.urandom(8),
        signature=b"s" * 64,
    )


def _set(store: Store, owner: Owner, writes: list[SecretWrite], who: str | None = None) -> int:
    return store.run(
        who or owner.principal_id,
        lambda call: (
            write_batch(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="dev",
                writes=writes,
            ).revision
        ),
    )


def _events(store: Store, owner: Owner) -> list[EventView]:
    with Session(store.engine) as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == owner.workspace_id)
            .order_by(AuditEvent.seq)
        )
        return [
            EventView(
                r.workspace_id,
                r.seq,
                r.at,
                r.principal_id,
                r.action,
                r.target,
                r.outcome,
                r.request_id,
                r.ip,
                r.details,
                r.prev_hash,
                r.hash,
                r.project_id,
            )
            for r in rows
        ]


def test_owner_creates_a_project_and_lists_its_environments(store: Store, owner: Owner) -> None:
    _project(store, owner)
    envs = store.run(
        owner.principal_id,
        lambda call: list_environments(call, workspace_id=owner.workspace_id, project="shop"),
    )
    assert [e.name for e in envs] == ["dev"]


def test_the_store_refuses_to_delete_a_protected_environment(store: Store, owner: Owner) -> None:
    _project(store, owner)
    where = {"workspace_id": owner.workspace_id, "project": "shop", "name": "dev"}
    store.run(owner.principal_id, lambda call: update_environment(call, **where, protected=True))
    before = len(_events(store, owner))

    with pytest.raises(EnvironmentProtected) as refused:
        store.run(owner.principal_id, lambda call: delete_environment(call, **where))

    assert refused.value.status == 409
    assert "--unprotect" in (refused.value.hint or "")
    assert len(_events(store, owner)) == before
    envs = store.run(
        owner.principal_id,
        lambda call: list_environments(call, workspace_id=owner.workspace_id, project="shop"),
    )
    assert [e.name for e in envs] == ["dev"]


def test_every_change_appends_exactly_one_chained_audit_event(store: Store, owner: Owner) -> None:
    before = len(_events(store, owner))
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    events = _events(store, owner)
    assert [e.action for e in events[before:]] == [
        "project.create",
        "secrets.write",
    ]
    assert verify_chain(events) is None


def test_a_failed_use_case_leaves_no_audit_event(store: Store, owner: Owner) -> None:
    _project(store, owner)
    before = len(_events(store, owner))
    with pytest.raises(AlreadyExistsError):
        _project(store, owner)
    assert len(_events(store, owner)) == before


def test_audit_verify_reports_an_edited_event(store: Store, owner: Owner) -> None:
    _project(store, owner)
    events = _events(store, owner)
    tampered = [*events[:1], EventView(**{**events[1].__dict__, "target": "other"}), *events[2:]]
    assert verify_chain(tampered) == events[1].seq


def test_audit_verify_reports_a_deleted_or_reordered_event(store: Store, owner: Owner) -> None:
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    events = _events(store, owner)
    assert len(events) >= 3
    assert verify_chain([events[0], *events[2:]]) == 2
    assert verify_chain([events[1], events[0], *events[2:]]) == 1
    assert verify_chain(events[:-1], expected_head=events[-1].hash) == len(events)


def test_stale_write_is_rejected_with_conflict_and_writes_nothing(
    store: Store, owner: Owner
) -> None:
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    _set(store, owner, [_write("s1", 1)])
    with pytest.raises(ConflictError):
        _set(store, owner, [_write("s1", 1)])
    with Session(store.engine) as session:
        versions = session.scalars(
            select(SecretVersion.version).where(SecretVersion.secret_id == "s1")
        )
        assert sorted(versions) == [1, 2]


def test_a_batch_with_one_stale_write_writes_none_of_it(store: Store, owner: Owner) -> None:
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    with pytest.raises(ConflictError):
        _set(store, owner, [_write("s2", 0, b"j" * 32), _write("s1", 0)])
    with Session(store.engine) as session:
        assert session.scalar(select(SecretVersion).where(SecretVersion.secret_id == "s2")) is None


def test_creating_a_secret_that_exists_is_a_conflict(store: Store, owner: Owner) -> None:
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    with pytest.raises(ConflictError):
        _set(store, owner, [_write("other-id", 0)])


def test_a_new_variable_taking_another_ones_id_is_a_conflict_and_writes_nothing(
    store: Store, owner: Owner
) -> None:
    _project(store, owner)
    _set(store, owner, [_write("s1", 0)])
    with pytest.raises(ConflictError, match="id is taken"):
        _set(store, owner, [_write("s2", 0, b"k" * 32), _write("s1", 0, b"j" * 32)])
    assert _set(store, owner, [_write("s1", 1)]) == 2  # the first variable is as it was
    with Session(store.engine) as session:
        rows = session.execute(select(SecretVersion.secret_id, SecretVersion.version)).all()
    assert sorted(rows) == [("s1", 1), ("s1", 2)]


def test_a_write_to_a_service_the_project_lacks_names_the_project(
    store: Store, owner: Owner
) -> None:
    _project(store, owner)
    stray = replace(_write("10000000-0000-4000-8000-0000000000f1", 0), scope="service:gone")

    with pytest.raises(UsageError) as refused:
        _set(store, owner, [stray])

    assert str(refused.value) == (
        "a write names a service that project 'shop' does not have (removed meanwhile?);"
        " nothing was written"
    )
    assert refused.value.hint == (
        "see its services with: envkeep service list, and run the command again"
    )


def test_a_share_for_someone_who_holds_the_key_already_names_the_environment(
    store: Store, owner: Owner
) -> None:
    _project(store, owner)
    again = NewShare(ENV_ID, 1, owner.principal_id, b"sealed")

    with pytest.raises(InputError) as refused:
        store.run(
            owner.principal_id,
            lambda call: share_data_key(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="dev",
                shares=[again],
            ),
        )

    assert str(refused.value) == (
        "a share is for a principal whose role does not open environment shop/dev, or who holds"
        " its key already"
    )


def test_a_reader_cannot_write(store: Store, owner: Owner) -> None:
    _project(store, owner)
    add_member(store, owner, "reader", Role.READ)
    with pytest.raises(PermissionDenied):
        _set(store, owner, [_write("s1", 0)], who="reader")


def test_a_writer_can_write_but_not_create_environments(store: Store, owner: Owner) -> None:
    _project(store, owner)
    add_member(store, owner, "writer", Role.WRITE)
    assert _set(store, owner, [_write("s1", 0)], who="writer") == 1
    with pytest.raises(PermissionDenied):
        store.run(
            "writer",
            lambda call: create_environment(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                new=NewEnvironment("20000000-0000-4000-8000-000000000002", "qa", b"x"),
            ),
        )


def test_a_principal_without_a_binding_can_do_nothing(store: Store, owner: Owner) -> None:
    _project(store, owner)
    add_member(store, owner, "stranger", None)
    with pytest.raises(PermissionDenied):
        _set(store, owner, [_write("s1", 0)], who="stranger")
    with pytest.raises(PermissionDenied):
        store.run(
            "stranger",
            lambda call: reads.read_environment(
                call.fetch,
                call.actor,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="dev",
            ),
        )


def test_an_unknown_principal_is_not_authenticated(store: Store, owner: Owner) -> None:
    _project(store, owner)
    with pytest.raises(NotAuthenticated):
        _set(store, owner, [_write("s1", 0)], who="ghost")


def test_unknown_names_say_what_exists_and_how_to_create_it(store: Store, owner: Owner) -> None:
    _project(store, owner)
    with pytest.raises(EnvironmentNotFound) as env_error:
        store.run(
            owner.principal_id,
            lambda call: write_batch(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="prod",
                writes=[_write("s1", 0)],
            ),
        )
    assert "(envs: dev)" in env_error.value.message
    assert (env_error.value.hint or "").startswith(
        "if it is new, create it with: envkeep env create prod"
    )
    with pytest.raises(ProjectNotFound) as project_error:
        store.run(
            owner.principal_id,
            lambda call: add_service(
                call, workspace_id=owner.workspace_id, project="nope", name="api"
            ),
        )
    assert "(projects: shop)" in project_error.value.message


def test_reads_over_sqlalchemy_and_sqlite3_agree(store: Store, owner: Owner) -> None:
    sqlite_only(store.engine)
    _project(store, owner)
    _set(store, owner, [_write("s1", 0), _write("s2", 0, b"j" * 32)])
    via_session = store.run(
        owner.principal_id,
        lambda call: reads.read_environment(
            call.fetch,
            call.actor,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
        ),
    )
    fetch = open_fetch(Path(str(store.engine.url.database)))
    assert fetch is not None
    with fetch.snapshot():
        via_sqlite = reads.read_environment(
            fetch,
            Actor(owner.principal_id),
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
        )
    fetch.close()
    assert via_session == via_sqlite
    assert [s.id for s in via_sqlite.secrets] == ["s1", "s2"]


def test_call_is_a_real_fetch(store: Store, owner: Owner) -> None:
    rows = store.run(owner.principal_id, lambda call: call.fetch("SELECT 1 + :x", {"x": 1}))
    assert rows == [(2,)]
    assert isinstance(Call, type)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 6, 1, tzinfo=UTC),
        datetime(1999, 6, 1, 12, 0, 0, 500_000),
    ],
)
def test_a_write_stamps_times_as_the_orm_stores_them(moment: datetime) -> None:
    """`app.writes` formats SQLite's times itself (the embedded store writes without SQLAlchemy):
    the text must be what SQLAlchemy's DateTime(timezone=True) stores there, since the ORM reads
    them back; PostgreSQL's driver takes the datetime as it is."""
    from sqlalchemy import DateTime
    from sqlalchemy.dialects import postgresql, sqlite

    from envkeep.app import writes

    lite = sqlite.dialect()
    orm = DateTime(timezone=True).dialect_impl(lite).bind_processor(lite)
    assert orm is not None
    assert writes._Dialect.of("sqlite").stamp(moment) == orm(moment)
    pg = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    assert DateTime(timezone=True).dialect_impl(pg).bind_processor(pg) is None
    assert writes._Dialect.of("postgresql").stamp(moment) is moment
