"""The base of every request and answer body (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class Body(BaseModel):
    """A request or an answer: unknown fields are refused either way (a misspelt request field
    is never silently dropped; the server's own answers are checked exactly)."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's JSON schema; as an answer (serialization mode) it allows additional
        properties: a newer server adds fields to its answers, and a client generated from
        ``/openapi.json`` must not refuse them. A model in both directions (``KdfParams``)
        becomes two schemas there, ``-Input`` closed and ``-Output`` open."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        if handler.mode == "serialization":
            schema["additionalProperties"] = True
        return schema
