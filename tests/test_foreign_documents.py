"""A Kubernetes manifest or a docker compose file is refused by import, not flattened."""

from __future__ import annotations

import json

import pytest

from envkeep.core.errors import InputError
from envkeep.integrations.exporters import export
from envkeep.integrations.importers import parse_import

SECRET = "sk_live_s3cr3t"
COMPOSE = """
services:
  api:
    image: shop/api
    env_file: services/api/.env
    environment:
      PORT: 8080
  worker:
    build: .
"""


def import_error(text: str, fmt: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_import(text.encode(), fmt=fmt, source="in." + fmt)
    return caught.value


@pytest.mark.parametrize(("fmt", "kind"), [("k8s", "Secret"), ("k8s-configmap", "ConfigMap")])
def test_a_kubernetes_manifest_is_refused_with_how_to_import_its_data(fmt: str, kind: str) -> None:
    manifest = export({"API_KEY": SECRET}, fmt, name="api")

    error = import_error(manifest, "yaml")

    assert error.message == f"in.yaml is a Kubernetes {kind} manifest, not a map of NAME: value"
    assert error.hint is not None
    assert "| envkeep import - --format json" in error.hint
    assert SECRET not in f"{error.message} {error.hint}"


def test_a_kubernetes_manifest_in_json_is_refused_too() -> None:
    manifest = {"apiVersion": "v1", "kind": "Secret", "data": {"K": "dg=="}}

    assert "Kubernetes Secret" in import_error(json.dumps(manifest), "json").message


def test_a_docker_compose_file_is_refused_with_a_hint_to_import_its_env_files() -> None:
    error = import_error(COMPOSE, "yaml")

    assert error.message == "in.yaml is a docker compose file, not a map of NAME: value"
    assert error.hint is not None
    assert "env_file" in error.hint


@pytest.mark.parametrize(
    "text",
    [
        "kind: blue\nsize: 3\n",  # a variable named kind, without apiVersion
        "services:\n  api: http://api\n",  # flattened to services_api, as before
        "services:\n  api:\n    url: http://api\n",
    ],
)
def test_a_map_of_variables_that_uses_those_words_still_imports(text: str) -> None:
    assert parse_import(text.encode(), fmt="yaml", source="in.yaml").values
