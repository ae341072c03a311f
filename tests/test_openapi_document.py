"""`/openapi.json` describes requests as closed and answers as open to additions
(`api/schemas.Body`): a newer server adds fields to its answers, and a client generated from
the document must not refuse them, while the server still refuses a request field it does not
know (tests/test_api.py: `test_a_request_with_a_field_the_server_does_not_know_is_refused`)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from envkeep.api import schemas
from envkeep.api.app import create_app
from envkeep.store.engine import sqlite_url


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document as a generator downloads it."""
    url = sqlite_url(tmp_path_factory.mktemp("openapi") / "server.db")
    with TestClient(create_app(url)) as client:
        served: dict[str, Any] = client.get("/openapi.json").json()
    return served


def _named(node: Any, components: dict[str, Any], found: set[str]) -> set[str]:
    """The names of the component schemas ``node`` reaches through ``$ref``, at any depth."""
    if isinstance(node, list):
        for item in node:
            _named(item, components, found)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and (name := ref.rsplit("/", 1)[-1]) not in found:
            found.add(name)
            _named(components[name], components, found)
        for value in node.values():
            _named(value, components, found)
    return found


def _reached(document: dict[str, Any], part: str) -> set[str]:
    """The schemas that every operation's ``part`` (requestBody or responses) reaches."""
    components = document["components"]["schemas"]
    found: set[str] = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            _named(operation.get(part, {}), components, found)
    return found


def test_every_schema_a_request_reaches_forbids_additional_properties(
    document: dict[str, Any],
) -> None:
    components = document["components"]["schemas"]
    requests = _reached(document, "requestBody")
    assert {"AcceptInvite", "Writes", "SecretWrite", "KdfParams-Input"} <= requests
    open_ = sorted(
        name for name in requests if components[name].get("additionalProperties") is not False
    )
    assert open_ == []


def test_every_schema_an_answer_reaches_allows_additional_properties(
    document: dict[str, Any],
) -> None:
    """Said outright (``true``): openapi-generator by default takes a schema without the
    keyword as closed (its ``disallowAdditionalPropertiesIfNotPresent``). The error answers'
    ``Problem`` too (tests/test_openapi_errors.py): an error adds members of its own."""
    components = document["components"]["schemas"]
    answers = _reached(document, "responses")
    assert {"Snapshot", "Secret", "Version", "Principal", "KdfParams-Output", "Problem"} <= answers
    closed = sorted(
        name for name in answers if components[name].get("additionalProperties") is not True
    )
    assert closed == []


def test_a_model_in_both_directions_is_two_schemas_and_no_schema_is_in_both(
    document: dict[str, Any],
) -> None:
    """``KdfParams`` is in a request (``AcceptInvite``) and in an answer (``Prelogin``): one
    schema could not be closed for the one and open for the other."""
    components = document["components"]["schemas"]
    assert "KdfParams" not in components
    assert components["AcceptInvite"]["properties"]["kdf"] == {
        "$ref": "#/components/schemas/KdfParams-Input"
    }
    assert components["Prelogin"]["properties"]["kdf"] == {
        "$ref": "#/components/schemas/KdfParams-Output"
    }
    assert _reached(document, "requestBody") & _reached(document, "responses") == set()


def test_an_answer_model_still_refuses_an_unknown_field_itself() -> None:
    """Only the document's answers are open: the server's own answers are still checked
    exactly by their models (FastAPI's response validation)."""
    with pytest.raises(ValidationError, match="extra_forbidden"):
        schemas.Revision.model_validate({"revision": 1, "added": True})
