"""What `envkeep.core.references` says of a reference that did not expand: the path of names
to the problem, never a value (values may be secrets); and how a walk's references are named
in the service that made them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core._refsyntax import NESTED_FALLBACK, SERVICE_RE

if TYPE_CHECKING:
    from envkeep.core._walkstate import Failed, Key

__all__ = ["ESCAPE_HINT", "failure_message", "shown_references"]

ESCAPE_HINT = "write '$${' for a literal '${'"


def failure_message(failure: Failed, service: str | None, *, cross_service: bool) -> str:
    """The error text of ``failure`` in ``service``: the path of names to the problem, never a
    value (``cross_service``: whether ``${service.NAME}`` could have named another service)."""
    path = failure.path
    qualify = any(key[0] != service for key in path)
    route = " -> ".join(_show(key, service, qualify=qualify) for key in path)
    last = path[-1]
    if failure.kind == "cycle":
        return f"reference cycle: {route}"
    if failure.kind == "missing":
        detail = _missing_detail(last, qualify=qualify, cross_service=cross_service)
        return f"{route}: {last[1]!r} is not set{detail}"
    where = "" if len(path) == 1 else f" in {_show(last, service, qualify=qualify)!r}"
    if failure.kind == "unterminated":
        return f"{route}: unterminated '${{'{where}; {ESCAPE_HINT}"
    if failure.kind == "nested":
        return (
            f"{route}: {NESTED_FALLBACK}{where}, which is not expanded; a fallback is"
            f" literal text (${{NAME:-text}}), or {ESCAPE_HINT}"
        )
    return (
        f"{route}: malformed reference{where}; "
        f"use ${{NAME}} or ${{service.NAME}} (${{NAME:-text}} with a literal fallback), or"
        f" {ESCAPE_HINT}"
    )


def _missing_detail(key: Key, *, qualify: bool, cross_service: bool) -> str:
    if qualify and key[0] is not None:
        return f" in service {key[0]!r}"
    head, dot, _ = key[1].partition(".")
    if cross_service and dot and SERVICE_RE.fullmatch(head):
        return f", and there is no service {head!r}"
    return ""


def shown_references(refs: tuple[Key, ...], service: str | None) -> tuple[str, ...]:
    """``refs`` as ``references`` lists them in ``service``: `_show` of each, in one pass."""
    return tuple([ref[1] if ref[0] == service else f"{ref[0]}.{ref[1]}" for ref in refs])


def _show(key: Key, service: str | None, *, qualify: bool = False) -> str:
    if key[0] is None or (key[0] == service and not qualify):
        return key[1]
    return f"{key[0]}.{key[1]}"
