"""`validate --json`'s items for the warnings printed above the counts line (a schema file's
notes, a value still its example's placeholder): a CI job reading the JSON sees the findings
and the counts a person reads. Each has a finding's keys, and ``file`` and ``line``: where in
the schema file it is about (docs/schema.md, "Validation")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.schema_notes import SchemaWarning


def warnings_json(warnings: Sequence[SchemaWarning], *, reveal: bool) -> list[dict[str, object]]:
    """One item per warning, in the order printed; ``value`` only with ``reveal``, as for
    findings."""
    items: list[dict[str, object]] = []
    for warning in warnings:
        item: dict[str, object] = {
            "service": warning.service,
            "name": warning.name,
            "rule": warning.rule,
            "severity": "warning",
            "message": warning.message,
            "layer": warning.layer,
            "file": warning.file,
            "line": warning.line,
        }
        if reveal:
            item["value"] = warning.value
        items.append(item)
    return items
