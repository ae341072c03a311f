"""The state of the general walk of `envkeep.core.references`: a value being expanded
(`Frame`) and what expanding one gave (`Done` or `Failed`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from envkeep.core._refsyntax import Segment

__all__ = ["Done", "Failed", "Frame", "Key", "Kind", "Outcome", "take", "through"]

Key = tuple[str | None, str]  # (service, name); None is the root set of a plain `expand`
Kind = Literal["cycle", "missing", "unterminated", "invalid", "nested"]


@dataclass(frozen=True, slots=True)
class Done:
    value: str
    refs: tuple[Key, ...]


@dataclass(frozen=True, slots=True)
class Failed:
    path: tuple[Key, ...]
    kind: Kind
    open_at: Key | None = None  # a cycle seen but not yet closed: the node it returns to


Outcome = Done | Failed


class Frame:
    """One value being expanded: its segments, how far we got and what it has produced."""

    __slots__ = ("fallback", "key", "parts", "pos", "refs", "segments")

    def __init__(self, key: Key, segments: list[Segment]) -> None:
        self.key = key
        self.segments = segments
        self.pos = 0
        self.parts: list[str] = []
        self.refs: list[Key] = []
        self.fallback: str | None = None  # of the reference being expanded (``${A:-text}``)


def through(key: Key, failure: Failed) -> Failed:
    """``failure`` as seen from a value that references it."""
    return Failed((key, *failure.path), failure.kind, failure.open_at)


def take(frame: Frame, key: Key, done: Done) -> None:
    """Add a reference's expansion to the value that refers to it: its fallback instead, if it
    has one and the expansion is empty."""
    fallback, frame.fallback = frame.fallback, None
    if fallback is not None and not done.value:
        frame.parts.append(fallback)
        return
    frame.parts.append(done.value)
    frame.refs.append(key)
    frame.refs.extend(done.refs)
