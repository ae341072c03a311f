"""An environment snapshot as JSON bytes, written straight from the app's views.

The read every client makes all the time: building the pydantic ``schemas.Snapshot`` from
attributes and dumping it costs more than the rest of the request. The bytes written here
are the same document (a test validates them against ``schemas.Snapshot``), which stays the
response model in the OpenAPI description.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from envkeep.api.encoding import b64e

if TYPE_CHECKING:
    from envkeep.app.views import (
        EnvironmentSnapshot,
        PrincipalView,
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


def snapshot_json(found: EnvironmentSnapshot) -> bytes:
    """``found`` as the JSON document ``schemas.Snapshot`` describes."""
    p, e = found.project, found.environment
    document = {
        "project": {"id": p.id, "workspace_id": p.workspace_id, "name": p.name},
        "environment": {
            "id": e.id,
            "project_id": e.project_id,
            "name": e.name,
            "key_version": e.key_version,
            "revision": e.revision,
            "protected": e.protected,
            "description": e.description,
        },
        "services": [_service(s) for s in found.services],
        "shares": [_share(s) for s in found.shares],
        "secrets": [_secret(s) for s in found.secrets],
        "authors": [_principal(a) for a in found.authors],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
