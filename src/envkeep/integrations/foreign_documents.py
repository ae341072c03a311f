"""Refusing a JSON or YAML document that is another tool's file, not a map of variables.

A Kubernetes manifest or a docker compose file is an object too, so the importer would
flatten it into ``apiVersion``, ``kind``, ``metadata_name`` and ``data_API_KEY`` (a Secret's
values still base64), or ``services_api_environment_PORT``: names and values no service asks
for, written without a word. Such a document is refused with what to import instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["refuse_foreign_document"]

# Keys that only a compose file's service holds beside `environment` (the Compose
# specification's service keys; `environment` and `env_file` carry what envkeep stores).
_COMPOSE_SERVICE_KEYS = frozenset({"image", "build", "environment", "env_file"})


def refuse_foreign_document(document: Mapping[object, object], source: str) -> None:
    """Raise ``InputError`` if ``document`` is a Kubernetes object or a docker compose file."""
    kind = document.get("kind")
    if "apiVersion" in document and isinstance(kind, str):
        raise InputError(
            f"{source} is a Kubernetes {kind} manifest, not a map of NAME: value",
            hint=_KUBERNETES_HINT.get(kind, _OTHER_KUBERNETES_HINT),
        )
    if _is_compose(document):
        raise InputError(
            f"{source} is a docker compose file, not a map of NAME: value",
            hint="import each service's env_file (envkeep import services/api/.env --service"
            " api), and put the variables of an environment: block in a .env file to import",
        )


_KUBERNETES_HINT = {
    "Secret": "import its values, decoded: kubectl get secret NAME -o json"
    " | jq '.data | map_values(@base64d)' | envkeep import - --format json",
    "ConfigMap": "import its data: kubectl get configmap NAME -o json | jq .data"
    " | envkeep import - --format json",
}
_OTHER_KUBERNETES_HINT = "import a file of NAME: value (a Secret's or ConfigMap's data)"


def _is_compose(document: Mapping[object, object]) -> bool:
    services = document.get("services")
    if not isinstance(services, dict) or not services:
        return False
    return all(
        isinstance(service, dict) and not _COMPOSE_SERVICE_KEYS.isdisjoint(service)
        for service in services.values()
    )
