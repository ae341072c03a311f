"""GitHub Actions' ``::add-mask::`` workflow commands for exported values.

A job's log shows whatever a later step prints, a value read from ``$GITHUB_ENV`` included,
unless the runner was told to mask it. The runner reads workflow commands from a step's
standard output only, so ``export --format github -o "$GITHUB_ENV" --append`` prints a mask
there for each value that may be secret (`client/export_secrets`: a value of a name a schema
declares, none marks ``@secret`` and that holds no credential is not; without the checkout
every value is), before it writes the file: the values go to the file, the masks to the
log, which shows them as ``***``. A multi-line value is masked line by line (the runner masks
within one line). A line shorter than ``MIN_MASKED`` characters is not masked: ``1``, ``true``
or ``dev`` would be starred wherever they appear in the log, and are no secret worth it.
Command data is escaped as the runner reads it back (``%``, CR, LF).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

MIN_MASKED = 4


def mask_commands(values: Iterable[str]) -> str:
    """One ``::add-mask::`` line for each distinct line of ``values`` worth masking."""
    seen: set[str] = set()
    lines: list[str] = []
    for value in values:
        for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if len(line.strip()) < MIN_MASKED or line in seen:
                continue
            seen.add(line)
            lines.append(f"::add-mask::{_escape(line)}\n")
    return "".join(lines)


def _escape(data: str) -> str:
    return data.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
