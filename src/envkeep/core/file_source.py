"""Standard input as the file commands' source (``-``), a type of its own: it travelled as
``Path("stdin")``, which a hint then gave as a file to act on (`decrypt -` of a conflicted
file said "git checkout -m stdin", a file of that name that may well exist) and git's state
was looked up for. A real file named ``stdin`` is a ``Path`` like any other. In core, so that
`integrations` (`import`'s refusals of dotenvx and SOPS files) names its source so too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileSource", "StandardInput", "named"]


@dataclass(frozen=True)
class StandardInput:
    """A file's text read from standard input; "stdin" in messages, never a path. ``text``
    is empty where the command reads the bytes itself (`import` bounds their size first)."""

    text: str = ""

    def __str__(self) -> str:
        return "stdin"


FileSource = Path | StandardInput


def named(source: FileSource | str) -> str:
    """How a hint's command names ``source``: its path (or a file's name), quoted, or FILE for
    standard input (the file the user pipes in)."""
    import shlex

    return "FILE" if isinstance(source, StandardInput) else shlex.quote(str(source))
