"""How `schema show` and `template show` render a schema's field: its type with bounds, and
its JSON (a secret default masked unless revealed)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from envkeep.cli import output

if TYPE_CHECKING:
    from envkeep.core.schema import FieldSpec


def type_text(field: FieldSpec) -> str:
    text = f"enum({','.join(field.choices)})" if field.type == "enum" else field.type
    bounds = [f">={field.minimum:g}"] if field.minimum is not None else []
    bounds += [f"<={field.maximum:g}"] if field.maximum is not None else []
    bounds += [f"~/{field.pattern}/"] if field.pattern else []
    return " ".join([text, *bounds])


def field_json(field: FieldSpec, *, reveal: bool) -> dict[str, object]:
    data = asdict(field)
    data["choices"] = list(field.choices)
    data.pop("example", None)
    if field.secret and not reveal and field.default is not None:
        data["default"] = output.MASK
    return data
