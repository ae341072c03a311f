"""The "did you mean" clause of every message about a name not found or not known, in one
wording: ``did you mean 'api'?``. Which names are meant is `core.near_names`'s to say (the one
matcher); this only words them, so that a caller with no close name says nothing.

Names of things envkeep keeps (an environment, a service, a project, a format) are quoted;
a variable's name is written bare, as it is in a .env file (``did you mean PORT?``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def did_you_mean(meant: str | Iterable[str] | None, *, quoted: bool = True) -> str | None:
    """``did you mean 'api'?`` (``did you mean 'api', 'web'?`` for several, in the order
    given); None when ``meant`` names nothing. ``quoted=False`` writes the names bare."""
    names = [meant] if isinstance(meant, str) else list(meant or ())
    if not names:
        return None
    said = ", ".join(f"'{name}'" if quoted else name for name in names)
    return f"did you mean {said}?"


def did_you_mean_aside(meant: str | Iterable[str] | None, *, quoted: bool = True) -> str:
    """`did_you_mean` in brackets after a message (`` (did you mean 'api'?)``); empty when
    ``meant`` names nothing."""
    clause = did_you_mean(meant, quoted=quoted)
    return f" ({clause})" if clause else ""
