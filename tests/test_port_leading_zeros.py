"""A port written with more leading zeros than int() converts (CPython refuses text of over
4,300 digits) is checked like any other: `_is_port` stripped nothing and raised ValueError,
which stopped `set`, `validate` and `run` of the service as "a bug in envkeep"."""

from __future__ import annotations

import pytest

from envkeep.core.fieldspec import FieldSpec, Schema
from envkeep.core.validate import validate_values
from envkeep.core.valuetypes import bulk_check, matches_type

_ZEROS = "0" * 5000


@pytest.mark.parametrize(
    ("value", "valid"),
    [(_ZEROS + "8080", True), (_ZEROS, False), (_ZEROS + "65536", False), (_ZEROS + "1", True)],
)
def test_a_port_with_thousands_of_leading_zeros_is_checked_not_raised(
    value: str, valid: bool
) -> None:
    assert matches_type("port", value) is valid
    assert bulk_check("port")([value, "80"]) is valid


def test_validate_reports_a_zero_port_with_thousands_of_zeros_as_a_type_finding() -> None:
    schema = Schema((FieldSpec("PORT", type="port"),))

    findings = validate_values({"PORT": _ZEROS}, schema)

    assert [(f.name, f.rule) for f in findings] == [("PORT", "type")]
