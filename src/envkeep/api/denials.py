"""A refused request in its workspace's audit trail.

Every request's audit event is written in its own transaction, so a request refused with 403
rolled its event back with everything else it did. ``Observe`` calls ``record_refusal`` as
such an answer starts, before it is sent: a member of the workspace the path names (one who
holds a role there) gets a ``request.denied`` event, in a transaction of its own. A request
without a known principal (401) or by another tenant's principal leaves nothing.
"""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

import structlog

from envkeep.api.deps import run_for
from envkeep.app.audit import record_denied
from envkeep.app.ports import Actor

if TYPE_CHECKING:
    from starlette.types import Scope

    from envkeep.api.deps import ServerState

_WORKSPACE = re.compile(r"/v1/workspaces/([^/]+)/")


async def record_refusal(state: ServerState, scope: Scope) -> None:
    """Append the refused request's event (see the module); a failure to is logged, and the
    refusal stands."""
    found = scope.get("state", {})
    principal_id = found.get("principal_id")
    matched = _WORKSPACE.match(scope["path"])
    if principal_id is None or matched is None:
        return
    client = scope.get("client")
    actor = Actor(
        str(principal_id), request_id=found.get("request_id"), ip=client[0] if client else None
    )
    route = getattr(scope.get("route"), "path", None)
    work = partial(
        record_denied,
        workspace_id=matched[1],
        target=f"{scope['method']} {scope['path']}",
        details={"route": route} if route else {},
    )
    try:
        await run_for(state, actor, work)
    except Exception:  # noqa: BLE001 - the answer is a refusal either way
        structlog.get_logger("envkeep.api").exception(
            "refusal not audited", request_id=actor.request_id, principal=actor.principal_id
        )
