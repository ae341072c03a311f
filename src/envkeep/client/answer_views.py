"""The team server's answers (its API schemas) as the client's frozen views, and the client's
views as request bodies: the one place the HTTP backend converts between the two."""

from __future__ import annotations

from typing import Any

from envkeep.api import schemas
from envkeep.app import views


def dump(model: schemas.Body) -> Any:
    """A request body as JSON."""
    return model.model_dump(mode="json")


def secret_write(write: views.SecretWrite) -> schemas.SecretWrite:
    """A write as its request body."""
    return schemas.SecretWrite.model_validate(write)


def version_view(model: schemas.Version) -> views.VersionView:
    """A version as the client's frozen view."""
    return views.VersionView(**model.model_dump())


def principal_view(model: schemas.Principal) -> views.PrincipalView:
    """A principal as the client's frozen view."""
    return views.PrincipalView(**model.model_dump())


def service_view(model: schemas.Service) -> views.ServiceView:
    """A service as the client's frozen view."""
    return views.ServiceView(**model.model_dump())


def environment_view(model: schemas.Environment) -> views.EnvironmentView:
    """An environment as the client's frozen view."""
    return views.EnvironmentView(**model.model_dump())


def snapshot_view(model: schemas.Snapshot) -> views.EnvironmentSnapshot:
    """A snapshot as the client's frozen views."""
    return views.EnvironmentSnapshot(
        project=views.ProjectView(**model.project.model_dump()),
        environment=environment_view(model.environment),
        services=tuple(service_view(s) for s in model.services),
        shares=tuple(
            views.ShareView(
                s.environment_id, s.key_version, s.recipient_id, principal_view(s.sharer), s.sealed
            )
            for s in model.shares
        ),
        secrets=tuple(
            views.SecretView(s.id, s.scope, s.name_index, version_view(s.current))
            for s in model.secrets
        ),
        authors=tuple(principal_view(a) for a in model.authors),
        role=model.role,
    )


def new_environment(new: views.NewEnvironment) -> schemas.NewEnvironment:
    """A new environment (and its writes) as its request body."""
    return schemas.NewEnvironment.model_validate(new)
