"""The references of an expansion, worked out on first use (see `envkeep.core.references`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["LazyReferences"]


class LazyReferences(Mapping[str, tuple[str, ...]]):
    """Every name of ``values`` with the references it expanded, worked out on first use:
    most callers never read them, and each costs a walk over the value's references."""

    __slots__ = ("_compute", "_found", "_values")

    def __init__(
        self, values: Mapping[str, str], compute: Callable[[], dict[str, tuple[str, ...]]]
    ) -> None:
        self._values = values
        self._compute = compute
        self._found: dict[str, tuple[str, ...]] | None = None

    def __getitem__(self, name: str) -> tuple[str, ...]:
        if self._found is None:
            self._found = self._compute()
        if name in self._found:
            return self._found[name]
        if name in self._values:
            return ()
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self))
