"""Request bodies into the app layer's frozen views, and a few of those views into answers.

The client's ``answer_views`` goes the other way (its views into these bodies) and stays
apart: the two ends convert in opposite directions, and on this end every variable of every
write passes here, so it builds the views field by field where the client lets pydantic read
its views' attributes."""

from __future__ import annotations

from envkeep.api import schemas
from envkeep.app import views


def secret_write(body: schemas.SecretWrite) -> views.SecretWrite:
    # Field by field: every variable of every write passes here, and `model_dump` builds a
    # dict to unpack again.
    return views.SecretWrite(
        secret_id=body.secret_id,
        scope=body.scope,
        name_index=body.name_index,
        expected_version=body.expected_version,
        key_version=body.key_version,
        name_ct=body.name_ct,
        value_ct=body.value_ct,
        signature=body.signature,
    )


def new_environment(body: schemas.NewEnvironment) -> views.NewEnvironment:
    return views.NewEnvironment(
        id=body.id,
        name=body.name,
        sealed_share=body.sealed_share,
        key_version=body.key_version,
        writes=tuple(secret_write(w) for w in body.writes),
    )


def affected(found: list[views.AffectedEnvironment]) -> list[schemas.AffectedEnvironment]:
    """A revocation's environments as its answer names them (``environments``)."""
    return [
        schemas.AffectedEnvironment(
            project=e.project, environment=e.environment, environment_id=e.id
        )
        for e in found
    ]


def reader(found: views.Reader) -> schemas.Reader:
    """One who may read an environment, as the readers answer lists them: a principal's
    fields, then its role there and whether it holds the current key."""
    principal = found.principal
    return schemas.Reader(
        id=principal.id,
        kind=principal.kind,
        name=principal.name,
        encryption_public=principal.encryption_public,
        signing_public=principal.signing_public,
        role=found.role,
        holds_key=found.holds_key,
    )
