"""`core.shell_references`: docker compose's and a shell's `${...}` forms that envkeep does not
read are refused, naming the form and never the value's text."""

from __future__ import annotations

import pytest

from envkeep.core.errors import ReferenceProblem
from envkeep.core.shell_references import refuse_shell_form


@pytest.mark.parametrize(
    ("value", "form"),
    [
        ("${DB_HOST:?set DB_HOST}", "${NAME:?message}"),
        ("postgres://${DB_HOST?}/db", "${NAME?message}"),
        ("${api.PORT:+on}", "${NAME:+text}"),
        ("x${A+y}", "${NAME+text}"),
        ("${A:=fallback}", "${NAME:=text}"),
        ("${A=fallback}", "${NAME=text}"),
    ],
)
def test_each_compose_form_is_refused_by_its_form_alone(value: str, form: str) -> None:
    with pytest.raises(ReferenceProblem) as refused:
        refuse_shell_form("URL", value)

    assert f"the value of URL uses {form}" in refused.value.message
    assert "DB_HOST" not in refused.value.message
    assert "fallback" not in refused.value.message.replace("a shell's fallback", "")


@pytest.mark.parametrize(
    "value",
    ["${A}", "${A:-x?y+z=w}", "${svc.A}", "$${A:?x}", "${A:?x", "a?b+c=d", "${A-text}"],
)
def test_references_envkeep_reads_and_literal_text_pass(value: str) -> None:
    refuse_shell_form("URL", value)  # raises for none of them
