"""The one wording of "did you mean" (`core.did_you_mean`), and the messages that use it."""

from __future__ import annotations

import pytest

from envkeep.app.not_found import environment_not_found, service_hint
from envkeep.core.did_you_mean import did_you_mean, did_you_mean_aside
from envkeep.core.errors import UsageError
from envkeep.integrations.exporters import format_named


def test_one_meant_name_is_quoted_in_the_clause() -> None:
    assert did_you_mean("api") == "did you mean 'api'?"


def test_several_meant_names_are_said_in_the_order_given() -> None:
    assert did_you_mean(["web", "api"]) == "did you mean 'web', 'api'?"


def test_a_variable_name_is_written_bare() -> None:
    assert did_you_mean(["PORT"], quoted=False) == "did you mean PORT?"


def test_no_meant_name_gives_no_clause() -> None:
    assert did_you_mean(None) is None
    assert did_you_mean([]) is None
    assert did_you_mean_aside(None) == ""


def test_the_aside_puts_the_clause_in_brackets_after_a_message() -> None:
    assert did_you_mean_aside("dev") == " (did you mean 'dev'?)"


def test_an_unknown_environment_hint_is_the_clause_for_a_close_name() -> None:
    error = environment_not_found("dve", "shop", ["dev", "prod"])

    assert error.hint == "did you mean 'dev'?"


def test_an_unknown_service_with_nothing_close_says_how_to_add_it() -> None:
    assert service_hint("billing", ["api"]) == (
        "add it with: envkeep service add billing --path PATH"
    )


def test_a_mistyped_format_hint_starts_with_the_clause() -> None:
    with pytest.raises(UsageError) as refused:
        format_named("jsn")

    assert (refused.value.hint or "").startswith("did you mean 'json'? use one of:")
