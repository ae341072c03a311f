"""Standard input as the file commands' source: `core.file_source`, where `integrations`
reads it too."""

from __future__ import annotations

from envkeep.core.file_source import FileSource, StandardInput, named

__all__ = ["FileSource", "StandardInput", "named"]
