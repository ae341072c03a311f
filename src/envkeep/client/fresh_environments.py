"""A new environment as the client makes it: a fresh id and data key, the key sealed to (and
signed by) its creator.

`init` creates a project's environments with these, and `env create` and `env clone` one at a
time; the data key stays with the client, which then seals it to everyone else whose role
opens the environment (`new_keys`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.app.views import NewEnvironment

if TYPE_CHECKING:
    from envkeep.app.views import SecretWrite
    from envkeep.client.identity import Identity


@dataclass(frozen=True)
class FreshEnvironment:
    """An environment about to be created, with its new data key (kept by the client)."""

    environment: NewEnvironment
    data_key: bytes = field(repr=False)

    def with_writes(self, writes: tuple[SecretWrite, ...]) -> NewEnvironment:
        """The same environment, created together with initial values."""
        return replace(self.environment, writes=writes)


def fresh_environment(identity: Identity, name: str) -> FreshEnvironment:
    """A new environment id and data key; the key sealed to (and signed by) the creator."""
    env_id = str(uuid.uuid4())
    dek = crypto.new_data_key()
    sealed = crypto.seal_share(
        dek,
        env_id=env_id,
        key_version=1,
        recipient_id=identity.principal_id,
        recipient=identity.record.public,
        sharer=identity.keys,
    )
    return FreshEnvironment(NewEnvironment(id=env_id, name=name, sealed_share=sealed), dek)
