"""A refused request's last use of its session, kept.

A request writes its session's last-use mark in its own transaction (`session_marks`, when
due: once per ``USED_STEP``), and a request answered 4xx rolls that transaction back, the mark
with it: a stolen session used only to probe (403s, 404s) would show no newer use in
`session list`. ``actor_of`` notes the mark it wrote on the request's state (``MARK_DUE``); a
4xx answer writes it again in a transaction of its own, the refusal's audit event's when it
has one (``with_kept_mark``), else alone (``keep_refused_mark``). A successful request pays
nothing for this. A 5xx writes nothing: the database is what failed, or is changing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from envkeep.api.deps import MARK_DUE, run_for
from envkeep.app import session_marks
from envkeep.app.ports import Actor

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import Scope

    from envkeep.api.deps import ServerState
    from envkeep.app.context import Call

T = TypeVar("T")


def _mark(state: ServerState, due: tuple[Any, Any], call: Call) -> None:
    session_id, now = due
    sqlite = state.engine.dialect.name == "sqlite"
    session_marks.mark_again(call.fetch, call.execute, session_id, now, sqlite=sqlite)


def _marked_then(mark: Callable[[Call], None], work: Callable[[Call], T], call: Call) -> T:
    mark(call)
    return work(call)


def with_kept_mark(
    state: ServerState, scope: Scope, work: Callable[[Call], T]
) -> Callable[[Call], T]:
    """``work`` (a refusal's audit event) writing first the mark its request's transaction
    rolled back, if it wrote one (taken: ``keep_refused_mark`` then has none left)."""
    due = scope.get("state", {}).pop(MARK_DUE, None)
    if due is None:
        return work
    return partial(_marked_then, partial(_mark, state, due), work)


async def keep_refused_mark(state: ServerState, scope: Scope, status: int) -> None:
    """Write, in a transaction of its own, the mark a 4xx answer's transaction rolled back
    (none left when the refusal's audit event wrote it); a failure to is logged."""
    found = scope.get("state", {})
    due = found.pop(MARK_DUE, None)
    if due is None or not 400 <= status < 500:
        return
    actor = Actor(str(found.get("principal_id")), request_id=found.get("request_id"))
    try:
        await run_for(state, actor, partial(_mark, state, due))
    except Exception:  # noqa: BLE001 - the answer stands either way
        structlog.get_logger("envkeep.api").exception(
            "last use not kept", request_id=actor.request_id, principal=actor.principal_id
        )
