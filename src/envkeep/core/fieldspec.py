"""The fields of a schema: what a service needs, as `FieldSpec` and `Schema` (see
`envkeep.core.schema` for the two forms a schema is written in)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from envkeep.core.checkplan import CheckPlan, compile_plan

__all__ = ["ANNOTATIONS", "NOTE_RULES", "TABLE_KEYS", "TYPES", "FieldSpec", "Schema", "SchemaNote"]

TYPES: tuple[str, ...] = (
    "string",
    "int",
    "float",
    "bool",
    "url",
    "email",
    "port",
    "enum",
    "json",
    "duration",
    "path",
)
ANNOTATIONS: tuple[str, ...] = ("required", "type", "min", "max", "pattern", "secret", "default")
TABLE_KEYS: tuple[str, ...] = (
    "type",
    "required",
    "min",
    "max",
    "pattern",
    "secret",
    "default",
    "description",
    "choices",
    "example",
)


@dataclass(frozen=True)
class FieldSpec:
    """One variable a service needs: its type and constraints, as the schema declares them."""

    name: str
    type: str = "string"  # one of TYPES
    required: bool = False
    default: str | None = None
    secret: bool = False
    description: str | None = None
    # int | float: an int bound stays exact (compiled, a float would be a C double).
    minimum: int | float | None = None  # the number, a duration's seconds, or else the length
    maximum: int | float | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    choices: tuple[str, ...] = ()  # for enum
    example: str | None = None  # the value written in the .env.example; not a default
    # Where the field is declared, when it comes from a file; a name declared twice: the
    # line its annotations come from (the first when neither or both carry any).
    line: int | None = None
    # Where ``example`` is written: a name declared twice takes the later line's example.
    example_line: int | None = None


# What a schema file may say that does not mean what it reads as (`SchemaNote.rule`).
NOTE_RULES: tuple[str, ...] = ("plain-required", "duplicate")


@dataclass(frozen=True)
class SchemaNote:
    """A warning about a schema file itself (``source``): ``rule`` (one of NOTE_RULES) on
    variable ``name`` declared on ``line``; ``text`` says it, naming the file, the line and
    what to write."""

    rule: str
    name: str
    line: int
    text: str
    source: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Schema:
    """The fields of one service, in declaration order; ``source`` labels where they came from."""

    fields: tuple[FieldSpec, ...]
    source: str | None = None
    # What the file says that may not mean what it reads as (`plain_required`,
    # `required_headers`, `repeated_names`), to warn of.
    notes: tuple[SchemaNote, ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        """Return the field called ``name``, or None."""
        return next((spec for spec in self.fields if spec.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """The field names in declaration order."""
        return tuple(spec.name for spec in self.fields)

    @cached_property
    def check_plan(self) -> CheckPlan:
        """How `validate_values` checks these fields, compiled on first use."""
        return compile_plan(self.fields)

    def merged_with(self, other: Schema) -> Schema:
        """Return this schema with ``other``'s fields replacing same-named ones, new ones last."""
        overrides = {spec.name: spec for spec in other.fields}
        kept = tuple(overrides.pop(spec.name, spec) for spec in self.fields)
        fields = kept + tuple(overrides.values())
        return Schema(fields=fields, source=self.source, notes=self.notes + other.notes)
