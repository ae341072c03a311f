"""Which example values read as placeholders (`core.placeholders`), from real files' styles."""

from __future__ import annotations

import pytest

from envkeep.core.placeholders import kept_placeholders, looks_like_placeholder
from envkeep.core.schema import parse_env_example


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "CHANGE_ME",
        "please_change_me",
        "change-this-secret",
        "<your-api-key>",
        "your-openai-key-here",
        "your_token",
        "sk_test_xxxxxxxxxxxx",
        "TODO",
        "...",
    ],
)
def test_a_placeholder_reads_as_one(value: str) -> None:
    assert looks_like_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "localhost",
        "8080",
        "postgres://user:pass@localhost:5432/app",
        "https://example.com",
        "My App",
        "exchange-meter",
        "interchangeable",
        "${APP_NAME}",
        "hello@example.com",
    ],
)
def test_a_value_is_not_a_placeholder(value: str) -> None:
    assert not looks_like_placeholder(value)


def test_only_a_value_equal_to_its_placeholder_example_is_kept() -> None:
    schema = parse_env_example("A=changeme\nB=changeme\nC=localhost\nD=\n")

    kept = kept_placeholders(schema, {"A": "changeme", "B": "real", "C": "localhost", "D": ""})

    assert kept == ["A"]
