"""The server's answers read into the API's models, ignoring what a newer server added.

The models in ``api/schemas.py`` forbid unknown fields: right for a request the server
receives (a misspelt field is refused, never silently dropped), and it keeps the server's own
answers exact (``/openapi.json`` describes answers as open to additions). A client, though,
reads the answers of servers of other versions: a team upgrades its server first and its
laptops and CI jobs over weeks, so a field a newer server adds to an answer must not fail
every older CLI. Every answer the client reads into a model goes through ``read_answer`` (a
test holds it to that); the models stay strict everywhere else.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

Model = TypeVar("Model", bound=BaseModel)


def read_answer(model: type[Model], answer: Any) -> Model:
    """``answer`` (a server's decoded JSON) as ``model``, with every member that ``model``, or
    a model nested in it at any depth, does not know left out; a known one that is missing or
    of the wrong type is still an error."""
    return model.model_validate(answer, extra="ignore")
