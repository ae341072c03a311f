"""Several services' values in one export (`export --all`): for Kubernetes, one Secret per
service in one multi-document YAML (``---`` between), as `kubectl apply -f` reads it; for
JSON, one object keyed by service, each value the service's own JSON export. Each service's
part is exactly what exporting that service alone writes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError
from envkeep.integrations.exporters import export

if TYPE_CHECKING:
    from collections.abc import Mapping

# The formats one export of every service can be written in (by the names `format_named`
# gives them: ``k8s-secret`` is ``k8s``).
FORMATS_FOR_ALL: tuple[str, ...] = ("k8s", "json")


def export_by_service(
    values: Mapping[str, Mapping[str, str]],
    fmt: str,
    *,
    names: Mapping[str, str] | None = None,
    namespace: str | None = None,
) -> str:
    """Render each service's ``values`` (in their order) in ``fmt``, one of
    ``FORMATS_FOR_ALL``; ``names``: each service's Secret name (k8s). A value a format cannot
    hold is refused naming its service, as `export` refuses it for one."""
    if fmt == "json":
        each = {s: dict(sorted(v.items())) for s, v in values.items()}
        return json.dumps(each, indent=2, ensure_ascii=False) + "\n"
    if fmt != "k8s":
        raise ValueError(f"format {fmt} is not one of {FORMATS_FOR_ALL}")
    return "---\n".join(
        _one(service, v, fmt, (names or {}).get(service), namespace)
        for service, v in values.items()
    )


def _one(
    service: str, values: Mapping[str, str], fmt: str, name: str | None, namespace: str | None
) -> str:
    try:
        return export(values, fmt, name=name, namespace=namespace)
    except UsageError as refused:
        raise UsageError(
            f"service '{service}': {refused.message}; nothing was written for any service",
            hint=refused.hint,
        ) from refused
