"""Reference expansion: ``${NAME}``, ``${service.NAME}`` and the ``$${`` escape (DESIGN §2).

- ``${NAME}`` is another value of the same resolved set;
- ``${service.NAME}`` is a value of another service in the same environment. Names may contain
  ``.``, so ``${X.Y}`` is a cross-service reference only when ``X`` is a known service, and
  otherwise the plain name ``X.Y``;
- ``$${`` is a literal ``${``; a ``$`` not followed by ``{`` is literal;
- an unterminated ``${``, a malformed reference, a dangling reference or a cycle is an error
  naming the path to it (``A -> B -> A``), never a value: values may be secrets.

Every ``(service, name)`` is expanded at most once per `Expander`, cross-service values in
their own service's context; the walk is iterative, so long chains cannot hit the recursion
limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from envkeep.core.dotenv import NAME_PATTERN
from envkeep.core.errors import ReferenceProblem

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

__all__ = ["Expander", "Expansion", "Reference", "expand", "find_references"]

SERVICE_PATTERN: str = r"[a-z0-9][a-z0-9_-]*"

_NAME_RE = re.compile(NAME_PATTERN)
_SERVICE_RE = re.compile(SERVICE_PATTERN)
# One pass over a value: `$${` (escape), `${inner}` (reference) or `${` with no `}` (unterminated).
_TOKEN_RE = re.compile(r"\$(?:(\$\{)|\{([^}]*)(\}?))")
_ESCAPE_HINT = "write '$${' for a literal '${'"

_Key = tuple[str | None, str]  # (service, name); None is the root set of a plain `expand`
_Kind = Literal["cycle", "missing", "unterminated", "invalid"]


@dataclass(frozen=True)
class Reference:
    """One ``${...}`` reference: ``service`` is None for the same set."""

    service: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.service is None else f"{self.service}.{self.name}"


@dataclass(frozen=True)
class Expansion:
    """Expanded values; names with errors keep their raw value and have a message in ``errors``.

    ``references`` maps every name to the references it expanded, transitively and in order of
    first use (``"DB_USER"``, ``"worker.URL"``); it is empty for a name with an error.
    """

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def raise_first(self) -> None:
        """Raise `ReferenceProblem` for the first name (in ``values`` order) with an error."""
        for name in self.values:
            if name in self.errors:
                raise ReferenceProblem(
                    self.errors[name],
                    hint=f"Fix or set the referenced variable; {_ESCAPE_HINT}.",
                )


@dataclass(frozen=True, slots=True)
class _Ref:
    inner: str  # the text between `${` and `}`


_Segment = str | _Ref


@dataclass(frozen=True, slots=True)
class _Done:
    value: str
    refs: tuple[_Key, ...]


@dataclass(frozen=True, slots=True)
class _Failed:
    path: tuple[_Key, ...]
    kind: _Kind
    open_at: _Key | None = None  # a cycle seen but not yet closed: the node it returns to


_Outcome = _Done | _Failed


class _Frame:
    """One value being expanded: its segments, how far we got and what it has produced."""

    __slots__ = ("key", "parts", "pos", "refs", "segments")

    def __init__(self, key: _Key, segments: list[_Segment]) -> None:
        self.key = key
        self.segments = segments
        self.pos = 0
        self.parts: list[str] = []
        self.refs: list[_Key] = []


def _parse(value: str) -> list[_Segment] | None:
    """Split a value into literals and references; None if a `${` is unterminated."""
    segments: list[_Segment] = []
    start = 0
    for match in _TOKEN_RE.finditer(value):
        if match.start() > start:
            segments.append(value[start : match.start()])
        escape, inner, close = match.groups()
        if escape:
            segments.append("${")
        elif not close:
            return None
        else:
            segments.append(_Ref(inner))
        start = match.end()
    if start < len(value):
        segments.append(value[start:])
    return segments


def find_references(value: str, *, services: Collection[str] = ()) -> list[Reference]:
    """The well-formed references in ``value``, in order, each once.

    ``X.Y`` is a reference to service ``X`` only when ``X`` is in ``services``. Malformed or
    unterminated references are skipped here; `expand` reports them.
    """
    found: dict[Reference, None] = {}
    for match in _TOKEN_RE.finditer(value):
        inner, close = match.group(2), match.group(3)
        if inner is None or not close:
            continue
        head, dot, tail = inner.partition(".")
        if dot and head in services and _is_service_ref(head, tail):
            found[Reference(head, tail)] = None
        elif _NAME_RE.fullmatch(inner):
            found[Reference(None, inner)] = None
    return list(found)


def _is_service_ref(head: str, tail: str) -> bool:
    return _SERVICE_RE.fullmatch(head) is not None and _NAME_RE.fullmatch(tail) is not None


class Expander:
    """Expands values across services, memoising every ``(service, name)`` it expands.

    ``sources(service)`` returns a service's final, unexpanded values, or None if there is no
    such service; it is called at most once per service. Reuse one expander to expand many
    services of one environment: values shared through ``${svc.NAME}`` are expanded once.
    """

    def __init__(
        self,
        sources: Callable[[str | None], Mapping[str, str] | None],
        *,
        cross_service: bool = True,
    ) -> None:
        self._sources = sources
        self._cross_service = cross_service
        self._known: dict[str | None, Mapping[str, str] | None] = {}
        self._memo: dict[_Key, _Outcome] = {}
        self._on_stack: set[_Key] = set()

    def expand(self, service: str | None) -> Expansion:
        """Expand every value of ``service`` (None: the unnamed set), in its order."""
        own = self._values(service) or {}
        result = Expansion(values={})
        for name, raw in own.items():
            if "$" not in raw:  # nothing to expand: the common case, kept cheap
                result.values[name] = raw
                result.references[name] = ()
                continue
            outcome = self._evaluate((service, name))
            if isinstance(outcome, _Done):
                result.values[name] = outcome.value
                result.references[name] = tuple(_show(k, service) for k in outcome.refs)
            else:
                result.values[name] = raw
                result.errors[name] = self._message(outcome, service)
                result.references[name] = ()
        return result

    def _values(self, service: str | None) -> Mapping[str, str] | None:
        if service not in self._known:
            self._known[service] = self._sources(service)
        return self._known[service]

    def _evaluate(self, root: _Key) -> _Outcome:
        """Expand one value depth first, with an explicit stack: chains may be long."""
        stack: list[_Frame] = []
        outcome = self._open(root, stack)
        while stack:
            frame = stack[-1]
            outcome = self._advance(frame, stack)
            if outcome is None:  # it needs a child first, now on top of the stack
                continue
            stack.pop()
            self._on_stack.discard(frame.key)
            if isinstance(outcome, _Done):
                self._memo[frame.key] = outcome
                if stack:
                    _take(stack[-1], frame.key, outcome)
                continue
            failure = self._fail(frame.key, outcome)
            while stack:  # a failure fails every value waiting on it
                parent = stack.pop()
                self._on_stack.discard(parent.key)
                failure = self._fail(parent.key, _through(parent.key, failure))
            outcome = failure
        if outcome is None:  # unreachable: the root's frame always settles
            raise RuntimeError("reference expansion did not settle")
        return outcome

    def _open(self, key: _Key, stack: list[_Frame]) -> _Outcome | None:
        """Start expanding ``key``: its outcome now, or None after pushing its frame."""
        known = self._memo.get(key)
        if known is not None:
            return known
        if key in self._on_stack:
            return _Failed((key,), "cycle", open_at=key)
        source = self._values(key[0])
        raw = None if source is None else source.get(key[1])
        if raw is None:
            return _Failed((key,), "missing")
        segments: list[_Segment] | None = _parse(raw) if "$" in raw else [raw]
        if segments is None:
            return self._fail(key, _Failed((key,), "unterminated"))
        if len(segments) == 1 and isinstance(segments[0], str):
            self._memo[key] = _Done(segments[0], ())
            return self._memo[key]
        stack.append(_Frame(key, segments))
        self._on_stack.add(key)
        return None

    def _advance(self, frame: _Frame, stack: list[_Frame]) -> _Outcome | None:
        """Continue ``frame``: its outcome, or None after pushing a child it waits for."""
        segments = frame.segments
        while frame.pos < len(segments):
            segment = segments[frame.pos]
            frame.pos += 1
            if isinstance(segment, str):
                frame.parts.append(segment)
                continue
            target = self._target(frame.key[0], segment.inner)
            if target is None:
                return _Failed((frame.key,), "invalid")
            outcome = self._open(target, stack)
            if outcome is None:
                return None
            if isinstance(outcome, _Failed):
                return _through(frame.key, outcome)
            _take(frame, target, outcome)
        return _Done("".join(frame.parts), tuple(dict.fromkeys(frame.refs)))

    def _target(self, service: str | None, inner: str) -> _Key | None:
        """What ``${inner}`` in ``service`` refers to; None if it is malformed."""
        head, dot, tail = inner.partition(".")
        if dot and _is_service_ref(head, tail) and self._values(head) is not None:
            return (head, tail)
        if _NAME_RE.fullmatch(inner):
            return (service, inner)
        return None

    def _fail(self, key: _Key, failure: _Failed) -> _Failed:
        """Memoise ``key``'s failure; closing a cycle gives each of its members its own path."""
        if failure.open_at is None:
            self._memo[key] = failure
            return failure
        if failure.open_at != key:
            return failure  # inside a cycle still open: memoised when it closes
        ring = failure.path[:-1]  # the path runs key -> ... -> key
        for i, node in enumerate(ring):
            self._memo[node] = _Failed((*ring[i:], *ring[:i], node), "cycle")
        return _Failed((*ring, key), "cycle")

    def _message(self, failure: _Failed, service: str | None) -> str:
        """The error text: the path of names to the problem, never a value."""
        path = failure.path
        qualify = any(key[0] != service for key in path)
        route = " -> ".join(_show(key, service, qualify=qualify) for key in path)
        last = path[-1]
        if failure.kind == "cycle":
            return f"reference cycle: {route}"
        if failure.kind == "missing":
            return f"{route}: {last[1]!r} is not set{self._missing_detail(last, qualify=qualify)}"
        where = "" if len(path) == 1 else f" in {_show(last, service, qualify=qualify)!r}"
        if failure.kind == "unterminated":
            return f"{route}: unterminated '${{'{where}; {_ESCAPE_HINT}"
        return (
            f"{route}: malformed reference{where}; "
            f"use ${{NAME}} or ${{service.NAME}}, or {_ESCAPE_HINT}"
        )

    def _missing_detail(self, key: _Key, *, qualify: bool) -> str:
        if qualify and key[0] is not None:
            return f" in service {key[0]!r}"
        head, dot, _ = key[1].partition(".")
        if self._cross_service and dot and _SERVICE_RE.fullmatch(head):
            return f", and there is no service {head!r}"
        return ""


def _through(key: _Key, failure: _Failed) -> _Failed:
    """``failure`` as seen from a value that references it."""
    return _Failed((key, *failure.path), failure.kind, failure.open_at)


def _take(frame: _Frame, key: _Key, done: _Done) -> None:
    frame.parts.append(done.value)
    frame.refs.append(key)
    frame.refs.extend(done.refs)


def _show(key: _Key, service: str | None, *, qualify: bool = False) -> str:
    if key[0] is None or (key[0] == service and not qualify):
        return key[1]
    return f"{key[0]}.{key[1]}"


def expand(
    values: Mapping[str, str],
    *,
    service: str | None = None,
    lookup: Callable[[str], Mapping[str, str] | None] | None = None,
) -> Expansion:
    """Expand every reference in ``values``, the final values of ``service`` (if named).

    ``lookup(svc)`` returns another service's final, unexpanded values, or None if there is no
    such service; without it only same-set references resolve. ``${service.NAME}`` naming
    ``service`` itself reads ``values``. Problems are collected in `Expansion.errors`, not
    raised: call `Expansion.raise_first` to fail on the first.
    """

    def sources(name: str | None) -> Mapping[str, str] | None:
        if name == service:
            return values
        return None if lookup is None or name is None else lookup(name)

    return Expander(sources, cross_service=lookup is not None).expand(service)
