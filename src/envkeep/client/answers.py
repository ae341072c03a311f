"""The server's answers read into the API's models, ignoring what a newer server added.

The models in ``api/schemas.py`` forbid unknown fields: right for a request the server
receives (a misspelt field is refused, never silently dropped), and it keeps the server's own
answers exact (``/openapi.json`` describes answers as open to additions). A client, though,
reads the answers of servers of other versions: a team upgrades its server first and its
laptops and CI jobs over weeks, so a field a newer server adds to an answer must not fail
every older CLI. Every answer the client reads into a model goes through ``read_answer`` (a
test holds it to that); the models stay strict everywhere else.

An answer a known field of is missing or of the wrong type is no envkeep server's answer of
this version (another program, a proxy or a server that altered it): it is refused as one
(`NotAnEnvkeepRoute`, exit 5), naming the field, never with "a bug in envkeep". An answer
that shares no field with what the route answers (`foreign`: `{"hello": 1}`, a list for an
object) is no envkeep server's of any version: another program answers at the URL, and
`ApiClient.request` says so (`problem_errors.not_envkeep`) before any command reads it.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from envkeep.core.errors import NotAnEnvkeepRoute

Model = TypeVar("Model", bound=BaseModel)
# What a route answers: one model, or a list of them (``[schemas.Project]``).
Shape: TypeAlias = type[BaseModel] | list[type[BaseModel]]


def foreign(shape: Shape, answer: Any) -> bool:
    """Whether ``answer`` (a 2xx's decoded JSON) is no envkeep answer of ``shape`` at all: not
    the JSON type it is, or an object with none of its model's fields. Every field an envkeep
    server answers with is named in the model, and every model's answer has kept some of its
    fields since the first version, so an older or newer server's answer is never foreign;
    one that lacks only some is `read_answer`'s to name."""
    if isinstance(shape, list):
        return not isinstance(answer, list) or any(_foreign_one(shape[0], a) for a in answer)
    return _foreign_one(shape, answer)


def _foreign_one(model: type[BaseModel], answer: Any) -> bool:
    return not isinstance(answer, dict) or not answer.keys() & model.model_fields.keys()


def read_answer(model: type[Model], answer: Any) -> Model:
    """``answer`` (a server's decoded JSON) as ``model``, with every member that ``model``, or
    a model nested in it at any depth, does not know left out; a known one that is missing or
    of the wrong type is a NotAnEnvkeepRoute naming it."""
    try:
        return model.model_validate(answer, extra="ignore")
    except ValidationError as wrong:
        raise _not_an_answer(model, wrong) from None


def _not_an_answer(model: type[BaseModel], wrong: ValidationError) -> NotAnEnvkeepRoute:
    """The refusal of an answer that is not ``model``: the first field at fault and what is
    wrong with it, by pydantic's error type (never its message, which may quote the input)."""
    from envkeep import __version__

    first = wrong.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "the answer"
    return NotAnEnvkeepRoute(
        f"the server's answer is not an envkeep {model.__name__} ({field}: {first['type']});"
        " nothing was read from it",
        hint=(
            f"if the server runs another envkeep than this one ({__version__}), upgrade the"
            " older of the two; else something between (a proxy) or the server itself altered"
            " it: ask whoever runs the server"
        ),
    )
