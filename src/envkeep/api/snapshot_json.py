"""An environment snapshot as JSON bytes, written straight from the app's views.

The read every client makes all the time: building the pydantic ``schemas.Snapshot`` from
attributes and dumping it costs more than the rest of the request. The bytes written here
are the same document (a test validates them against ``schemas.Snapshot``), which stays the
response model in the OpenAPI description.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.api.encoding import b64e
from envkeep.app.recent import Recent
from envkeep.app.secrets_cache import DEFAULT_BUDGET, DEFAULT_ENTRIES

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.views import (
        EnvironmentSnapshot,
        EnvironmentView,
        PrincipalView,
        ProjectView,
        SecretView,
        ServiceView,
        ShareView,
    )


def _principal(p: PrincipalView) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "encryption_public": b64e(p.encryption_public),
        "signing_public": b64e(p.signing_public),
        "reset_by": p.reset_by,
        "reset_at": p.reset_at,
    }


def _service(s: ServiceView) -> dict[str, Any]:
    return {
        "id": s.id,
        "project_id": s.project_id,
        "name": s.name,
        "path": s.path,
        "schema_path": s.schema_path,
        "health_url": s.health_url,
    }


def _share(s: ShareView) -> dict[str, Any]:
    return {
        "environment_id": s.environment_id,
        "key_version": s.key_version,
        "recipient_id": s.recipient_id,
        "sharer": _principal(s.sharer),
        "sealed": b64e(s.sealed),
    }


def _secret(s: SecretView) -> dict[str, Any]:
    v = s.current
    return {
        "id": s.id,
        "scope": s.scope,
        "name_index": b64e(s.name_index),
        "current": {
            "secret_id": v.secret_id,
            "scope": v.scope,
            "version": v.version,
            "key_version": v.key_version,
            "name_ct": b64e(v.name_ct),
            "value_ct": None if v.value_ct is None else b64e(v.value_ct),
            "author_id": v.author_id,
            "signature": b64e(v.signature),
            "created_at": v.created_at,
        },
    }


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _secrets_json(secrets: tuple[SecretView, ...]) -> bytes:
    return _dumps([_secret(s) for s in secrets])


def _document(found: EnvironmentSnapshot, secrets: bytes) -> bytes:
    before, after = _frame(found)
    return b"".join((before, secrets, after))


def _frame(found: EnvironmentSnapshot) -> tuple[bytes, bytes]:
    """The document's bytes before its secrets and after them."""
    p, e = found.project, found.environment
    head = {
        "project": {"id": p.id, "workspace_id": p.workspace_id, "name": p.name},
        "environment": {
            "id": e.id,
            "project_id": e.project_id,
            "name": e.name,
            "key_version": e.key_version,
            "revision": e.revision,
            "protected": e.protected,
            "description": e.description,
            "former_holders": e.former_holders,
        },
        "services": [_service(s) for s in found.services],
        "shares": [_share(s) for s in found.shares],
        "role": found.role,
    }
    # The document's keys in order; its secrets go between the two parts as they were rendered.
    authors = _dumps([_principal(a) for a in found.authors])
    return _dumps(head)[:-1] + b',"secrets":', b',"authors":' + authors + b"}"


def snapshot_json(found: EnvironmentSnapshot) -> bytes:
    """``found`` as the JSON document ``schemas.Snapshot`` describes."""
    return _document(found, _secrets_json(found.secrets))


# Whole documents are kept for fewer readers than secrets renderings: each holds its secrets'
# bytes again.
_DOCUMENTS_PER_ENTRY = 4

_FrameKey = tuple[
    "ProjectView",
    "EnvironmentView",
    tuple["ServiceView", ...],
    tuple["ShareView", ...],
    tuple["PrincipalView", ...],
    str | None,
]


class SnapshotJson:
    """``snapshot_json`` that renders the secrets of a tuple it has seen before only once.

    The app's ``SecretsCache`` hands back the very tuple it stored for an unchanged
    environment, so the secrets — nearly all of a snapshot's bytes — are rendered once per
    revision instead of once per read. Entries hold their tuple, so an id is never reused
    while it is a key here. The rest of the document (project, environment, services, the
    reader's shares, the signers' keys, the reader's role) is kept too, by those, each entry a
    few hundred bytes. What is kept of an environment's earlier revision goes when a later one
    is rendered (as in the ``SecretsCache``): each holds every secret's bytes, and no read asks
    for it again.
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES, budget: int = DEFAULT_BUDGET) -> None:
        self._rendered: Recent[int, _Rendered] = Recent(entries, budget=budget, weigh=_size)
        self._frames: Recent[_FrameKey, tuple[bytes, bytes]] = Recent(entries)
        self._documents: Recent[tuple[int, int], _Rendered] = Recent(
            max(1, entries // _DOCUMENTS_PER_ENTRY), budget=budget, weigh=_size
        )

    def __call__(self, found: EnvironmentSnapshot) -> bytes:
        before, after = self._frame(found)
        secrets = self._secrets(found)
        # The whole document too, by the identity of its parts (each cached, so stable): the
        # next read of the same reader is one lookup instead of a copy of every byte.
        key = (id(before), id(secrets))
        whole = self._documents.get(key)
        if whole is not None and whole.parts == (before, secrets):
            return whole.rendered
        document = b"".join((before, secrets, after))
        env = found.environment
        self._documents.put(key, _Rendered(env, (before, secrets), document), replaces=_older(env))
        return document

    def _frame(self, found: EnvironmentSnapshot) -> tuple[bytes, bytes]:
        """`_frame`, kept by what it is made of (the views are frozen, so they are the key): the
        same reader of an unchanged environment, holding the same role, gets the same bytes."""
        # The role too: one reader's shares stay the same when it is granted another role.
        key = (
            found.project,
            found.environment,
            found.services,
            found.shares,
            found.authors,
            found.role,
        )
        made = self._frames.get(key)
        if made is None:
            made = _frame(found)
            env = found.environment
            self._frames.put(key, made, replaces=lambda kept, _made: _earlier(kept[1], env))
        return made

    def _secrets(self, found: EnvironmentSnapshot) -> bytes:
        secrets = found.secrets
        seen = self._rendered.get(id(secrets))
        if seen is not None and seen.parts is secrets:
            return seen.rendered
        rendered = _secrets_json(secrets)
        env = found.environment
        self._rendered.put(id(secrets), _Rendered(env, secrets, rendered), replaces=_older(env))
        return rendered


@dataclass(frozen=True)
class _Rendered:
    """Bytes rendered from ``parts`` (held, so their ids stay theirs) of ``environment``."""

    environment: EnvironmentView
    parts: object
    rendered: bytes


def _size(kept: _Rendered) -> int:
    return len(kept.rendered)


def _earlier(kept: EnvironmentView, now: EnvironmentView) -> bool:
    """Whether ``kept`` is an earlier state of the environment ``now`` is."""
    return kept.id == now.id and kept.revision < now.revision


def _older(now: EnvironmentView) -> Callable[[object, _Rendered], bool]:
    """Whether an entry was rendered from an earlier state of the environment ``now`` is."""
    return lambda _key, kept: _earlier(kept.environment, now)
