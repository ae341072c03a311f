"""Which known name a name most likely mistypes: one matcher for `set`'s warning of a new name
like a declared one and for every "did you mean" (a variable, environment, service, project or
template not found; a reference to a name that is not set).

A slip is the same name but for case, two neighbouring letters swapped (``PROT`` for
``PORT``, ``dve`` for ``dev``), or a spelling whose difflib ratio is at least 0.85 (a letter
off in a name of seven or more, one left out of four or more), case aside. `typo_of` takes
slips only: the write it warns of goes ahead, and the warning must not fire for an unrelated
short name (``APP`` beside ``API``, ``HOST`` beside ``PORT``). `suggestions`, for a name that
was not found, adds looser spellings after the slips (ratio 0.66: ``apu`` for ``api``): a
wrong guess there costs nothing, and the command failed anyway.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_SLIP = 0.85
_NEAR = 0.66
_SWAPPED = 0.99  # ranked above any spelling but the same one in another case


def typo_of(name: str, known: Iterable[str]) -> str | None:
    """The name of ``known`` that ``name`` is most likely a slip for; None when none is."""
    found = _ranked(name, known, cutoff=_SLIP)
    return found[0] if found else None


def suggestions(name: str, known: Iterable[str], *, limit: int = 3) -> list[str]:
    """The names of ``known`` that ``name`` (not found) may mistype, the likeliest first: the
    slips (`typo_of`'s), then the looser spellings."""
    return _ranked(name, known, cutoff=_NEAR)[:limit]


def _ranked(name: str, known: Iterable[str], *, cutoff: float) -> list[str]:
    typed = name.lower()
    scored = []
    for candidate in sorted(set(known)):
        if candidate != name:
            score = _closeness(typed, candidate.lower(), cutoff)
            if score >= cutoff:
                scored.append((-score, candidate))
    return [candidate for _score, candidate in sorted(scored)]


def _closeness(typed: str, known: str, cutoff: float) -> float:
    """1 for the same name, `_SWAPPED` for two neighbours swapped, else difflib's ratio (0 when
    its quick bounds already fall short of ``cutoff``)."""
    if typed == known:
        return 1.0
    if _swapped(typed, known):
        return _SWAPPED
    matcher = SequenceMatcher(None, typed, known)
    if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
        return 0.0
    return matcher.ratio()


def _swapped(typed: str, known: str) -> bool:
    """Whether ``typed`` is ``known`` with two neighbouring letters swapped (three letters or
    more: two-letter names are too short to tell a slip from another name)."""
    if len(typed) != len(known) or len(typed) < 3:
        return False
    differ = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and typed[differ[0]] == known[differ[1]]
        and typed[differ[1]] == known[differ[0]]
    )
