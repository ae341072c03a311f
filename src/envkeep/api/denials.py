"""A refused request in its workspace's audit trail.

Every request's audit event is written in its own transaction, so a refused request rolled its
event back with everything else it did. ``Observe`` calls ``record_refusal`` as such an answer
(a 403, or one of the 404s below) starts, before it is sent: a member of the workspace the
route names (one who holds a role there, or held one: a removed member still trying is what an
admin wants to see) gets a ``request.denied`` event, in a transaction of its own, when the
request would have changed something or read values or the trail (any method but GET; a GET
of a snapshot, of versions (a secret's, a scope's) or of the trail). A refused listing of names is
not recorded: clients ask for listings to learn what the caller may see (`init` in a clone),
and each would be a false alarm. Nothing is recorded for a request without a known principal
(401), but for a service account's token that was real and has ended (revoked or expired),
recorded under its account: a leaked CI token still being tried is what an admin looks for;
and for a wrong passphrase proved with a live session (`account passphrase`, its check), in
the account's own chain: a stolen session guessing the passphrase is what an admin looks for;
and for a login refused for an account that exists (a wrong passphrase), also in the account's
own chain, as ``session.login`` denied: someone guessing a member's passphrase is what an admin
looks for. That one is appended only once the answer's last byte is sent (``note_failed_login``,
``record_failed_login``): the answer to an unknown email, which has no chain, must not come back
sooner than a known one's.
Nor is anything recorded for another tenant's principal (one that never acted in the
workspace), and at most ``PER_MINUTE`` events a minute for one principal in this process:
nobody grows the chain faster than that by being refused.

A 404 is recorded when it may hide a project. A member without a role on a project is
answered exactly as for a project that does not exist (`authz.may_reach`), so such a member's
request about a missing project is recorded too, in the same way: otherwise the time the
answer takes would tell the two apart. One place decides which 404s these are:
``not_found.project_not_found`` marks the ProjectNotFound of a caller who may not list the
workspace's projects (``conceals``), for a name that exists and one that does not alike. The
error handlers (`problems`, `hot_routes`) note such an error on the request's state
(``note_refusal``), and its 404 is recorded by the rules above, with ``"status": 404`` in the
details; the event says nothing of whether the project exists. Any other 404 (an environment,
variable, secret or route that does not exist; a project unknown to a member who may list
them all) is a typo of someone who may look, and is not recorded.

The event names what the request aimed at as other events do (``project/environment``, from
the route's parameters, cut short and printable), and the method and route template in its
details: never the raw path, whose text the caller chose; a 403's details add the role it asked
for (``needed``: read, write or admin), so an admin sees what was missing.
"""

from __future__ import annotations

import re
import time
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import structlog

from envkeep.api.deps import run_for
from envkeep.api.refused_marks import with_kept_mark
from envkeep.app.audit import record_denied
from envkeep.app.audit_append import record_failed_login as append_failed_login
from envkeep.app.audit_append import record_wrong_passphrase
from envkeep.app.policy import Role
from envkeep.app.ports import Actor
from envkeep.core.errors import PermissionDenied, ProjectNotFound

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import Scope

    from envkeep.api.deps import ServerState

PER_MINUTE = 10
REFUSALS = frozenset({401, 403, 404})  # the statuses ``Observe`` hands to ``record_refusal``
_CONCEALED = "concealed_refusal"  # on a request's state: its 404 stands for a refusal
_NEEDED = "refusal_needed"  # on a request's state: the role its 403 asked for
_FAILED_LOGIN = "failed_login"  # on a request's state: the known account a login was refused
_LOGIN = {"method": "POST", "route": "/v1/auth/login"}
_ROLES = frozenset(str(role) for role in Role)  # read, write, admin
_RECORDED_READS = ("/snapshot", "/versions", "/audit")
# Where a live session proves its passphrase: a 401 there is a wrong guess by a known account.
_PROOFS = frozenset({"/v1/account/passphrase", "/v1/account/passphrase/check"})
_NAME = 64  # characters of a name kept in the target
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


class RefusalBudget:
    """How many refusals each principal may still have recorded this minute (one per server
    process: ``Observe`` holds it)."""

    def __init__(
        self, per_minute: int = PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._minute = -1
        self._used: dict[str, int] = {}

    def take(self, principal_id: str) -> bool:
        """Whether one more of the principal's refusals may be recorded now (counted if so)."""
        minute = int(self._clock() // 60)
        if minute != self._minute:
            self._minute, self._used = minute, {}
        used = self._used.get(principal_id, 0)
        if used >= self.per_minute:
            return False
        self._used[principal_id] = used + 1
        return True


def _shown(value: object) -> str:
    text = _UNPRINTABLE.sub("?", str(value))
    return text if len(text) <= _NAME else f"{text[: _NAME - 1]}…"


def _target(params: dict[str, Any], route: str) -> str:
    """``project/environment``, ``project``, a token's name (as a token's own events name it)
    or ``workspace``: what the request aimed at."""
    label = params.get("label")
    if label is not None and "/tokens/{label}" in route:
        return _shown(label)
    project = params.get("project")
    environment = params.get("environment")
    if environment is None and "/environments/{name}" in route:  # PATCH, DELETE
        environment = params.get("name")
    if project is None:
        return "workspace"
    return _shown(project) if environment is None else f"{_shown(project)}/{_shown(environment)}"


def note_refusal(scope: Scope, error: Exception) -> None:
    """Mark the request as refused when ``error``, about to be answered, is a 404 that hides
    a project (``ProjectNotFound.conceals``): ``record_refusal`` records it then; and keep
    the role a 403 asked for (``PermissionDenied.needed``), which its event names."""
    if isinstance(error, ProjectNotFound) and error.conceals:
        scope.setdefault("state", {})[_CONCEALED] = True
    elif isinstance(error, PermissionDenied) and error.needed in _ROLES:
        scope.setdefault("state", {})[_NEEDED] = error.needed


def _details(method: str, route: str, status: int, needed: object = None) -> dict[str, object]:
    """The refused request's method and route template; a 404's status too, so an admin
    sees the caller was told nothing exists (not whether it does); and the role a 403 asked
    for (``needed``: read, write or admin), where the refusal named one."""
    found: dict[str, object] = {"method": method, "route": route}
    if status == 404:
        found["status"] = status
    if status == 403 and needed in _ROLES:
        found["needed"] = needed
    return found


def _project_of(params: dict[str, Any], workspace_id: str, route: str, scope: Scope) -> str | None:
    """The project (by name) a refused request named, for its admin to read the event: from
    the route's path, or the audit route's query (``?project=``); only in the workspace the
    event goes to (an ended token's refusal goes to its own, whichever workspace the route
    named: a project of the same name there is not the one asked for)."""
    if params.get("workspace_id") != workspace_id:
        return None
    named = params.get("project")
    if named is None and route.endswith("/audit"):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        named = (query.get("project") or [None])[0]
    return str(named) if named else None


async def record_refusal(
    state: ServerState, budget: RefusalBudget, scope: Scope, status: int = 403
) -> None:
    """Append the refused request's event (see the module); a failure to is logged, and the
    refusal stands. A 401 is recorded only for a token that was real but has ended (revoked
    or expired: `sessions.EndedToken`), under its own account; a 404 only when it hides a
    project (``note_refusal``)."""
    found = scope.get("state", {})
    if status == 404 and not found.get(_CONCEALED):
        return
    params: dict[str, Any] = scope.get("path_params") or {}
    principal_id, workspace_id = found.get("principal_id"), params.get("workspace_id")
    route = str(getattr(scope.get("route"), "path", ""))
    method = scope["method"]
    if status == 401 and route in _PROOFS and principal_id is not None:
        await _record_proof(state, budget, scope, str(principal_id), _details(method, route, 401))
        return
    if status == 401:  # an ended token's, in its own workspace (the route may name none)
        principal_id, workspace_id = found.get("ended_token") or (None, None)
    if principal_id is None or not isinstance(workspace_id, str):
        return
    if status != 401 and method == "GET" and not route.endswith(_RECORDED_READS):
        return
    if not budget.take(str(principal_id)):
        return
    client = scope.get("client")
    actor = Actor(
        str(principal_id), request_id=found.get("request_id"), ip=client[0] if client else None
    )
    work = partial(
        record_denied,
        workspace_id=workspace_id,
        target=_target(params, route),
        details=_details(method, route, status, found.get(_NEEDED)),
        project=_project_of(params, workspace_id, route, scope),  # its admin reads the event
    )
    try:
        await run_for(state, actor, with_kept_mark(state, scope, work))  # one transaction
    except Exception:  # noqa: BLE001 - the answer is a refusal either way
        structlog.get_logger("envkeep.api").exception(
            "refusal not audited", request_id=actor.request_id, principal=actor.principal_id
        )


def note_failed_login(scope: Scope, principal_id: str) -> None:
    """Mark the request as a login refused for the existing account ``principal_id``:
    ``record_failed_login`` appends its event once the answer is sent."""
    scope.setdefault("state", {})[_FAILED_LOGIN] = principal_id


async def record_failed_login(state: ServerState, budget: RefusalBudget, scope: Scope) -> None:
    """The event of a login ``note_failed_login`` marked, in the account's own chain
    (`audit_append.record_failed_login`), within the account's refusal budget; nothing for
    any other request."""
    principal_id = scope.get("state", {}).get(_FAILED_LOGIN)
    if principal_id is not None:
        await _record_proof(state, budget, scope, str(principal_id), _LOGIN, append_failed_login)


async def _record_proof(
    state: ServerState,
    budget: RefusalBudget,
    scope: Scope,
    principal_id: str,
    details: Any,
    append: Callable[..., bool] = record_wrong_passphrase,
) -> None:
    """A wrong passphrase, proved with a live session (`audit_append.record_wrong_passphrase`)
    or at a login (``append``), in the account's own chain, within the principal's refusal
    budget."""
    if not budget.take(principal_id):
        return
    client = scope.get("client")
    request_id = scope.get("state", {}).get("request_id")
    actor = Actor(principal_id, request_id=request_id, ip=client[0] if client else None)
    try:
        await run_for(state, actor, with_kept_mark(state, scope, partial(append, details=details)))
    except Exception:  # noqa: BLE001 - the answer is a refusal either way
        structlog.get_logger("envkeep.api").exception(
            "refusal not audited", request_id=request_id, principal=principal_id
        )
