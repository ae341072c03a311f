"""The store a client talks to: the app service in-process (``LocalBackend``) or, later, the
same service behind the REST API (``HttpBackend``). Both return ciphertext only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

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
    from envkeep.core.auditchain import AuditQuery, EventPage

    # What a backend runs on every signer a read names (client/pins.check_signers): raises to
    # refuse the read.
    CheckSigners = Callable[[Sequence[PrincipalView]], None]


class Backend(Protocol):
    """Every operation the client needs from a store, scoped to one workspace."""

    def create_project(
        self, name: str, environments: Sequence[NewEnvironment]
    ) -> ProjectCreated: ...

    def list_projects(self) -> list[str]: ...

    def add_service(
        self, project: str, name: str, *, path: str | None, schema_path: str | None
    ) -> ServiceView: ...

    def list_services(self, project: str) -> list[ServiceView]: ...

    def remove_service(self, project: str, name: str) -> None: ...

    def create_environment(self, project: str, new: NewEnvironment) -> EnvironmentView: ...

    def list_environments(self, project: str) -> list[EnvironmentView]: ...

    def delete_environment(self, project: str, name: str) -> None: ...

    def read_environment(
        self, project: str, environment: str, services: Sequence[str] | None
    ) -> EnvironmentSnapshot: ...

    def write_secrets(
        self,
        project: str,
        environment: str,
        writes: Sequence[SecretWrite],
        *,
        confirmed: bool = False,
    ) -> int: ...

    def update_environment(
        self,
        project: str,
        name: str,
        *,
        rename: str | None,
        description: str | None,
        protected: bool | None,
    ) -> EnvironmentView: ...

    def secret_history(
        self, project: str, environment: str, secret_id: str
    ) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]: ...

    # The version each secret of ``scope`` held at ``at`` (none for one created later), with
    # its authors: one read for `rollback --to-time`; NotAnEnvkeepRoute from a server older
    # than it (client/history.held_at then reads each secret's history).
    def versions_at(
        self, project: str, environment: str, scope: str, at: datetime
    ) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]: ...

    def audit_events(self, query: AuditQuery) -> EventPage: ...

    def close(self) -> None: ...
