"""Reference expansion: ``${NAME}``, ``${service.NAME}`` and the ``$${`` escape (DESIGN §2).

- ``${NAME}`` is another value of the same resolved set;
- ``${service.NAME}`` is a value of another service in the same environment. Names may contain
  ``.``, so ``${X.Y}`` is a cross-service reference only when ``X`` is a known service, and
  otherwise the plain name ``X.Y``;
- ``${NAME:-text}`` (either form) is ``text`` where NAME is not set or is empty, as in a
  shell or compose; the text is literal and cannot open a reference of its own (a reference
  inside a fallback is an error saying so);
- ``$${`` is a literal ``${``; a ``$`` not followed by ``{`` is literal;
- an unterminated ``${``, a malformed reference, a dangling reference or a cycle is an error
  naming the path to it (``A -> B -> A``), never a value: values may be secrets.

Every ``(service, name)`` is expanded at most once per `Expander`, cross-service values in
their own service's context; the walk is iterative, so long chains cannot hit the recursion
limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from envkeep.core._fillscope import FillScope, Formats, Unfilled, fill_formats
from envkeep.core._lazyrefs import LazyReferences
from envkeep.core._refmessages import ESCAPE_HINT, failure_message, shown_references
from envkeep.core._refsyntax import (
    NAME_RE,
    NESTED_FALLBACK,
    SERVICE_PATTERN,
    Reference,
    Target,
    find_references,
    is_service_ref,
    parse_value,
    percent_format,
    percent_formats,
    service_like_references,
    split_fallback,
    syntax_problem,
)
from envkeep.core._walkstate import Done as _Done
from envkeep.core._walkstate import Failed as _Failed
from envkeep.core._walkstate import Frame as _Frame
from envkeep.core._walkstate import Key as _Key
from envkeep.core._walkstate import Outcome as _Outcome
from envkeep.core._walkstate import take as _take
from envkeep.core._walkstate import through as _through
from envkeep.core.errors import ReferenceProblem

if TYPE_CHECKING:
    from envkeep.core._refsyntax import Segment


__all__ = [
    "NESTED_FALLBACK",
    "SERVICE_PATTERN",
    "Expander",
    "Expansion",
    "Reference",
    "expand",
    "find_references",
    "service_like_references",
    "syntax_problem",
]

_NESTING = 32  # values filled one inside another before the walk takes over (C stack depth)


@dataclass(frozen=True)
class Expansion:
    """Expanded values; names with errors keep their raw value and have a message in ``errors``.

    ``references`` maps every name to the references it expanded, transitively and in order of
    first use (``"DB_USER"``, ``"worker.URL"``); it is empty for a name with an error.
    """

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def raise_first(self) -> None:
        """Raise `ReferenceProblem` for the first name (in ``values`` order) with an error."""
        for name in self.values:
            if name in self.errors:
                raise ReferenceProblem(
                    self.errors[name],
                    hint=f"fix or set the referenced variable; {ESCAPE_HINT}",
                )


class Expander:
    """Expands values across services, memoising every ``(service, name)`` it expands.

    ``sources(service)`` returns a service's final, unexpanded values, or None if there is no
    such service; it is called at most once per service. Reuse one expander to expand many
    services of one environment: values shared through ``${svc.NAME}`` are expanded once.
    ``fill=False`` expands every value by the general walk alone (the reference the fast path
    is tested against).
    """

    def __init__(
        self,
        sources: Callable[[str | None], Mapping[str, str] | None],
        *,
        cross_service: bool = True,
        fill: bool = True,
    ) -> None:
        self._sources = sources
        self._cross_service = cross_service
        self._fill = fill
        self._known: dict[str | None, Mapping[str, str] | None] = {}
        self._memo: dict[_Key, _Outcome] = {}
        self._on_stack: set[_Key] = set()
        self._formats = Formats(percent_format, percent_formats)
        self._expanded: dict[str | None, tuple[dict[str, str], dict[str, str]]] = {}
        self._targets: dict[str, Target] = {}  # see `_classify`

    def expand(self, service: str | None) -> Expansion:
        """Expand every value of ``service`` (None: the unnamed set), in its order.

        ``references`` is worked out on first use, by the general walk over the same sources.
        """
        values, errors = self.expand_values(service)
        return Expansion(values, errors, self.lazy_references(service, values))

    def lazy_references(
        self, service: str | None, values: Mapping[str, str]
    ) -> Mapping[str, tuple[str, ...]]:
        """`Expansion.references` of ``service``, whose expanded ``values`` these are: worked
        out on first use."""
        return LazyReferences(values, lambda: self._references(service))

    def expand_values(self, service: str | None) -> tuple[dict[str, str], dict[str, str]]:
        """The expanded values of ``service`` and the errors of those that failed.

        A value without ``$`` is its own expansion. The others are filled in by one ``%``
        over their formats (`envkeep.core._fillscope`); what that cannot fill
        (escapes, errors, dotted names) takes the general, memoised walk of `_evaluate`.
        """
        own = self._values(service) or {}
        values = dict(own)
        dollars = [name for name, raw in own.items() if "$" in raw]
        rest = self._fill_in(service, own, dollars, values) if dollars and self._fill else dollars
        errors: dict[str, str] = {}
        for name in rest:
            outcome = self._memo.get(key := (service, name)) or self._evaluate(key)
            if isinstance(outcome, _Done):
                values[name] = outcome.value
            else:
                errors[name] = failure_message(outcome, service, cross_service=self._cross_service)
        self._expanded[service] = (values, errors)
        return values, errors

    def _fill_in(
        self,
        service: str | None,
        own: Mapping[str, str],
        dollars: list[str],
        values: dict[str, str],
    ) -> list[str]:
        """Set in ``values`` each of ``dollars`` that its format gives; return the others (for
        the general walk), in order."""
        formats = self._formats.of([own[name] for name in dollars])
        names = dollars
        if None in formats:
            names = [name for name, text in zip(dollars, formats, strict=True) if text is not None]
            formats = [text for text in formats if text is not None]
        scope = FillScope(own, own, service, self._demand)
        for name in dollars:
            del scope[name]
        unfilled = fill_formats(names, cast("list[str]", formats), scope, values)
        if not unfilled and len(names) == len(dollars):
            return []
        left = set(unfilled)
        if len(names) < len(dollars):  # those without a format
            kept = set(names)
            left.update(name for name in dollars if name not in kept)
        return [name for name in dollars if name in left]

    def _demand(self, scope: FillScope, field: str) -> str:
        """The value of a ``field`` that ``scope`` lacks: another service's value, or one of
        the set's values that is not expanded yet (its format, filled from ``scope``)."""
        service = scope.service
        head, slash, tail = field.partition("/")
        if slash:  # `${head.tail}`: another service's value, or a dotted name
            target = self._target_of(field.replace("/", "."))
            if not target:
                raise Unfilled(field)
            if target[0] is None:
                return self._walked(service, target[1])
            head, tail = cast("tuple[str, str]", target)
            if head != service:
                return self._across(head, tail)
            field = tail  # `${own.NAME}` is `${NAME}`
            if field in scope:
                return scope[field]
        raw = scope.raw.get(field)
        outcome = self._memo.get((service, field))
        if raw is None or field in scope.busy or isinstance(outcome, _Failed):
            raise Unfilled(field)
        text = self._formats.one(raw)
        if outcome is not None or text is None or len(scope.busy) >= _NESTING:
            return self._walked(service, field)
        scope.busy.add(field)
        try:
            value = text % scope
        finally:
            scope.busy.discard(field)
        scope[field] = value
        return value

    def _across(self, head: str, name: str) -> str:
        """Another service's expanded value of ``name``."""
        raw = (self._known.get(head) or {}).get(name)
        if raw is None:
            raise Unfilled(name)
        if "${" not in raw:
            return raw
        if head in self._expanded:
            values, errors = self._expanded[head]
            if name in errors:
                raise Unfilled(name)
            return values[name]
        return self._walked(head, name)

    def _walked(self, service: str | None, name: str) -> str:
        """``name``'s value in ``service`` by the general walk."""
        outcome = self._memo.get(key := (service, name)) or self._evaluate(key)
        if isinstance(outcome, _Done):
            return outcome.value
        raise Unfilled(name)

    def _references(self, service: str | None) -> dict[str, tuple[str, ...]]:
        """The non-empty references of each value of ``service``, by the general walk."""
        found: dict[str, tuple[str, ...]] = {}
        for name, raw in (self._values(service) or {}).items():
            if "$" in raw:
                outcome = self._memo.get(key := (service, name)) or self._evaluate(key)
                if isinstance(outcome, _Done) and outcome.refs:
                    found[name] = shown_references(outcome.refs, service)
        return found

    def _target_of(self, inner: str) -> Target:
        return self._targets.get(inner) or self._classify(inner)

    def _classify(self, inner: str) -> Target:
        """What ``${inner}`` names, as `_target` decides: ``(service, name)`` across services,
        ``(None, name)`` in the same set, ``()`` if malformed; remembered per text."""
        head, dot, tail = inner.partition(".")
        target: Target = ()
        if dot and is_service_ref(head, tail) and self._values(head) is not None:
            target = (head, tail)
        elif NAME_RE.fullmatch(inner):
            target = (None, inner)
        self._targets[inner] = target
        return target

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
        segments: list[Segment] | None = parse_value(raw) if "$" in raw else [raw]
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
            split = split_fallback(segment.inner)
            if split is None:  # `${A:-${B}}`: a fallback is literal text
                return _Failed((frame.key,), "nested")
            target = self._target(frame.key[0], split[0])
            if target is None:
                return _Failed((frame.key,), "invalid")
            fallback = split[1]
            frame.fallback = fallback  # `_take` puts it in for an empty expansion
            outcome = self._open(target, stack)
            if outcome is None:
                return None
            if isinstance(outcome, _Failed):
                if fallback is None or outcome.kind != "missing" or outcome.path != (target,):
                    return _through(frame.key, outcome)
                frame.fallback = None  # not set: the fallback stands in
                frame.parts.append(fallback)
                continue
            _take(frame, target, outcome)
        return _Done("".join(frame.parts), tuple(dict.fromkeys(frame.refs)))

    def _target(self, service: str | None, inner: str) -> _Key | None:
        """What ``${inner}`` in ``service`` refers to; None if it is malformed."""
        head, dot, tail = inner.partition(".")
        if dot and is_service_ref(head, tail) and self._values(head) is not None:
            return (head, tail)
        if NAME_RE.fullmatch(inner):
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

    expansion = Expander(sources, cross_service=lookup is not None).expand(service)
    return Expansion(expansion.values, expansion.errors, dict(expansion.references))
