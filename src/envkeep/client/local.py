"""``LocalBackend``: the app layer in-process over the embedded SQLite store.

Reads, and batches of variable writes (`app.writes`, which runs driver SQL and no ORM), go
through stdlib sqlite3 (``store.sqlite_fetch``); every other write goes through SQLAlchemy,
imported only when such a write (or a migration) happens, so the daily loop (`run`, `get`,
`set`) never loads it.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from envkeep.app import reads, version_reads
from envkeep.app.ports import Actor
from envkeep.core.errors import ConflictError, StoreError
from envkeep.core.timestamps import utc_second
from envkeep.store.sqlite_fetch import SqliteFetch, open_fetch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime
    from pathlib import Path

    from sqlalchemy import Engine

    from envkeep.app.context import Call
    from envkeep.app.views import (
        EnvironmentSnapshot,
        EnvironmentView,
        NewEnvironment,
        PrincipalView,
        ProjectCreated,
        SecretWrite,
        ServiceView,
        VersionView,
    )
    from envkeep.client.backend import CheckSigners
    from envkeep.client.identity import Identity
    from envkeep.core.auditchain import AuditQuery, EventPage
    from envkeep.store.upgrade_copy import KeptCopy

T = TypeVar("T")


def upgraded_note(database: Path, kept: KeptCopy) -> str:
    """What a command says once it upgraded the store's schema: an older envkeep cannot open
    the store now, and the copy from before is what going back restores."""
    from envkeep import __version__
    from envkeep.store.schema_version import HEAD_REVISION

    return (
        f"note: upgraded the store {database} from schema {kept.revision} to {HEAD_REVISION}"
        f" for envkeep {__version__}; an older envkeep cannot open it now. Its copy from"
        f" before is {kept.path}: to go back to the older envkeep, move it over the store"
        " (losing what was written since); else delete it"
    )


def _same_time() -> ConflictError:
    """A write that lost a race for a unique key (the other transaction committed first)."""
    return ConflictError(
        "someone else changed the same thing at the same time; nothing was written",
        hint="run the command again",
    )


class LocalBackend:
    """The embedded store, owned by the local identity (an admin of its one workspace)."""

    def __init__(
        self,
        database: Path,
        identity: Identity,
        check_signers: CheckSigners | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self._database = database
        self._notify = notify  # told of a schema upgrade of the store, and where its copy is
        self._identity = identity
        # Every signer a snapshot or a history names goes past this first when ENVKEEP_SIGNERS
        # is set (client/pins.check_signers, as on a server); None: the store is trusted.
        self._check_signers = check_signers or (lambda _principals: None)
        self._actor = Actor(identity.principal_id)
        self._engine: Engine | None = None
        self._fetch: SqliteFetch | None = open_fetch(database)
        self._workspace_id: str | None = None
        if self._fetch is None:
            self._migrate_and_bootstrap()
        else:
            self._workspace_id = self._find_workspace()

    # -- plumbing -------------------------------------------------------------------------

    def _find_workspace(self) -> str | None:
        assert self._fetch is not None
        rows = self._fetch("SELECT id FROM workspaces WHERE name = 'local'", {})
        return str(rows[0][0]) if rows else None

    def _open_engine(self) -> Engine:
        if self._engine is None:
            from envkeep.core.files import make_private_directory
            from envkeep.store.engine import open_engine, sqlite_url

            make_private_directory(self._database.parent)
            self._engine = open_engine(sqlite_url(self._database))
        return self._engine

    def _migrate_and_bootstrap(self) -> None:
        from sqlalchemy import exc

        from envkeep.app.principals import bootstrap_local_owner
        from envkeep.store.migrate import upgrade
        from envkeep.store.upgrade_copy import keep_before_upgrade

        kept = keep_before_upgrade(self._database)
        try:
            upgrade(self._open_engine())
        except exc.DBAPIError as error:
            raise StoreError(
                f"could not prepare the database {self._database} ({error.orig})",
                hint="check the disk and permissions, or move the file away to start afresh",
            ) from None
        if kept is not None and self._notify is not None:
            self._notify(upgraded_note(self._database, kept))
        public = self._identity.record.public
        self._workspace_id = self._transaction(
            lambda call: bootstrap_local_owner(
                call,
                name=self._identity.record.name,
                encryption_public=public.encryption,
                signing_public=public.signing,
            )
        )
        self._fetch = open_fetch(self._database)
        if self._fetch is None:  # pragma: no cover - the migration just ran
            raise StoreError(f"could not open the database {self._database}")

    @property
    def workspace_id(self) -> str:
        if self._workspace_id is None:
            self._migrate_and_bootstrap()
        assert self._workspace_id is not None
        return self._workspace_id

    def _transaction(self, use_case: Callable[[Call], T]) -> T:
        from sqlalchemy import exc
        from sqlalchemy.orm import Session

        from envkeep.app.context import Call

        try:
            with Session(self._open_engine(), expire_on_commit=False) as session, session.begin():
                return use_case(Call(session, self._actor))
        except exc.IntegrityError:
            raise _same_time() from None
        except exc.OperationalError as error:
            raise self._unusable(error.orig) from None

    def _driver_transaction(self, use_case: Callable[[Call], T]) -> T:
        """``use_case`` in one write transaction on the sqlite3 connection, for a use case
        that runs driver SQL only (no ORM: its ``session`` is a stand-in); errors as
        ``_transaction`` reports them."""
        import sqlite3

        from envkeep.client.local_call import SqliteCall

        if self._fetch is None:  # pragma: no cover - set once migrated
            raise StoreError("the database is not open")
        try:
            with self._fetch.write() as connection:
                return use_case(SqliteCall.on(connection, self._actor))
        except sqlite3.IntegrityError:
            raise _same_time() from None
        except sqlite3.OperationalError as error:
            raise self._unusable(error) from None

    def _unusable(self, error: object) -> StoreError:
        return StoreError(
            f"the embedded database could not be used ({error})",
            hint=f"check {self._database} is writable and not on a full disk",
        )

    @contextmanager
    def _reading(self) -> Iterator[SqliteFetch]:
        if self._fetch is None:  # pragma: no cover - set in __init__
            raise StoreError("the database is not open")
        with self._fetch.snapshot():
            yield self._fetch

    def _call(self, use_case: Callable[..., T], /, **kwargs: Any) -> T:
        return self._transaction(
            lambda call: use_case(call, workspace_id=self.workspace_id, **kwargs)
        )

    # -- Backend --------------------------------------------------------------------------

    def create_project(self, name: str, environments: Sequence[NewEnvironment]) -> ProjectCreated:
        from envkeep.app.projects import create_project

        return self._call(create_project, name=name, environments=environments)

    def list_projects(self) -> list[str]:
        from envkeep.app.projects import list_projects

        return [p.name for p in self._call(list_projects)]

    def add_service(
        self, project: str, name: str, *, path: str | None, schema_path: str | None
    ) -> ServiceView:
        from envkeep.app.services import add_service

        return self._call(
            add_service, project=project, name=name, path=path, schema_path=schema_path
        )

    def list_services(self, project: str) -> list[ServiceView]:
        with self._reading() as fetch:
            return reads.list_services(
                fetch, self._actor, workspace_id=self.workspace_id, project=project
            )

    def remove_service(self, project: str, name: str) -> None:
        from envkeep.app.services import remove_service

        self._call(remove_service, project=project, name=name)

    def create_environment(self, project: str, new: NewEnvironment) -> EnvironmentView:
        from envkeep.app.environments import create_environment

        return self._call(create_environment, project=project, new=new)

    def list_environments(self, project: str) -> list[EnvironmentView]:
        with self._reading() as fetch:
            return reads.list_environments(
                fetch, self._actor, workspace_id=self.workspace_id, project=project
            )

    def delete_environment(self, project: str, name: str) -> None:
        from envkeep.app.environments import delete_environment

        self._call(delete_environment, project=project, name=name)

    def read_environment(
        self, project: str, environment: str, services: Sequence[str] | None
    ) -> EnvironmentSnapshot:
        with self._reading() as fetch:
            snapshot = reads.read_environment(
                fetch,
                self._actor,
                workspace_id=self.workspace_id,
                project=project,
                environment=environment,
                services=services,
            )
        self._check_signers([*snapshot.authors, *(s.sharer for s in snapshot.shares)])
        return snapshot

    def write_secrets(
        self,
        project: str,
        environment: str,
        writes: Sequence[SecretWrite],
        *,
        confirmed: bool = False,
    ) -> int:
        from envkeep.app.writes import write_batch

        workspace_id = self.workspace_id  # migrates a store that is not at the head yet
        return self._driver_transaction(
            lambda call: (
                write_batch(
                    call,
                    workspace_id=workspace_id,
                    project=project,
                    environment=environment,
                    writes=writes,
                    confirmed=confirmed,
                ).revision
            )
        )

    def update_environment(
        self,
        project: str,
        name: str,
        *,
        rename: str | None,
        description: str | None,
        protected: bool | None,
    ) -> EnvironmentView:
        from envkeep.app.environments import update_environment

        return self._call(
            update_environment,
            project=project,
            name=name,
            rename=rename,
            description=description,
            protected=protected,
        )

    def secret_history(
        self, project: str, environment: str, secret_id: str
    ) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
        with self._reading() as fetch:
            versions, authors = version_reads.secret_history(
                fetch,
                self._actor,
                workspace_id=self.workspace_id,
                project=project,
                environment=environment,
                secret_id=secret_id,
            )
        self._check_signers(authors)
        return versions, authors

    def versions_at(
        self, project: str, environment: str, scope: str, at: datetime
    ) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
        with self._reading() as fetch:
            versions, authors = version_reads.versions_at(
                fetch,
                self._actor,
                workspace_id=self.workspace_id,
                project=project,
                environment=environment,
                scope=scope,
                at=utc_second(at),
            )
        self._check_signers(authors)
        return versions, authors

    def audit_events(self, query: AuditQuery) -> EventPage:
        from dataclasses import asdict

        from envkeep.app.audit import list_events

        workspace_id = self.workspace_id

        def page(call: Call) -> EventPage:  # the events and their names in one transaction
            return list_events(call, workspace_id=workspace_id, **asdict(query))

        return self._transaction(page)

    def close(self) -> None:
        if self._fetch is not None:
            self._fetch.close()
        if self._engine is not None:
            self._engine.dispose()
