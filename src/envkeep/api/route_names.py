"""The route a request's path belongs to, for an answer given before the router saw it: the
metrics and the log line label a request by its route (``unmatched``: no route takes its path),
and a preflight, a per-IP 429 or a 413 answered in front of the router would all be
``unmatched`` otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Match

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.routing import BaseRoute
    from starlette.types import Scope


def name_route(scope: Scope, routes: Iterable[BaseRoute]) -> None:
    """Mark ``scope`` with the route its path belongs to, as the router marks a request it
    routes: one that takes its method, else one that takes its path (a preflight's ``OPTIONS``,
    which no route takes); unmarked when none takes its path."""
    partial = None
    for route in routes:
        match = route.matches(scope)[0]
        if match is Match.FULL:
            scope["route"] = route
            return
        if match is Match.PARTIAL and partial is None:
            partial = route
    if partial is not None:
        scope["route"] = partial
