"""A SOPS-encrypted YAML, JSON or dotenv file is refused by import, not stored as ciphertext."""

from __future__ import annotations

import json

import pytest

from envkeep.core.errors import InputError
from envkeep.integrations.importers import parse_import

CIPHERTEXT = "ENC[AES256_GCM,data:3dGk1lQwR2s=,iv:q1w2e3r4t5y6u7i8o9p0aa==,tag:zXcV==,type:str]"
MAC = "ENC[AES256_GCM,data:bWFjbWFj,iv:aXZpdg==,tag:dGFn,type:str]"
SOPS_YAML = f"""DATABASE_URL: {CIPHERTEXT}
db:
    password: {CIPHERTEXT}
LOG_LEVEL_unencrypted: info
sops:
    age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOQ==
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2026-12-01T10:00:00Z"
    mac: {MAC}
    unencrypted_suffix: _unencrypted
    version: 3.8.1
"""
SOPS_JSON = json.dumps(
    {"API_KEY": CIPHERTEXT, "sops": {"mac": MAC, "version": "3.8.1", "age": []}}, indent=1
)
SOPS_DOTENV = f"""API_KEY={CIPHERTEXT}
sops_age__list_0__map_recipient=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
sops_lastmodified=2026-12-01T10:00:00Z
sops_mac={MAC}
sops_version=3.8.1
"""


def import_error(text: str, fmt: str, source: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_import(text.encode(), fmt=fmt, source=source)
    return caught.value


def test_a_sops_yaml_file_is_refused_naming_its_encrypted_keys() -> None:
    error = import_error(SOPS_YAML, "yaml", "secrets.yaml")

    assert error.message == (
        "secrets.yaml is encrypted by SOPS: the values of DATABASE_URL, db are ciphertext"
        " ('ENC[AES256_GCM,…]'), which envkeep would store as it is"
    )
    assert error.hint is not None
    assert "sops -d secrets.yaml | envkeep import - --format yaml" in error.hint


def test_a_sops_json_file_is_refused_with_the_json_decrypt_command() -> None:
    error = import_error(SOPS_JSON, "json", "secrets.json")

    assert error.message.startswith("secrets.json is encrypted by SOPS: the values of API_KEY")
    assert error.hint is not None
    assert "sops -d secrets.json | envkeep import - --format json" in error.hint


def test_a_sops_dotenv_file_is_refused_and_its_metadata_is_not_named() -> None:
    error = import_error(SOPS_DOTENV, "dotenv", ".env.prod")

    assert error.message.startswith(".env.prod is encrypted by SOPS: the values of API_KEY are")
    assert "sops_" not in error.message
    assert error.hint is not None
    assert "sops -d .env.prod | envkeep import - (with your --env" in error.hint


@pytest.mark.parametrize(
    ("text", "fmt"), [(SOPS_YAML, "yaml"), (SOPS_JSON, "json"), (SOPS_DOTENV, "dotenv")]
)
def test_no_ciphertext_is_said_in_the_refusal(text: str, fmt: str) -> None:
    error = import_error(text, fmt, "in." + fmt)

    assert "data:" not in f"{error.message} {error.hint}"


def test_a_sops_file_whose_values_are_all_unencrypted_is_still_refused_for_its_metadata() -> None:
    text = f"LOG_LEVEL_unencrypted: info\nsops:\n    mac: {MAC}\n    version: 3.8.1\n"

    error = import_error(text, "yaml", "s.yaml")

    assert error.message == (
        "s.yaml is encrypted by SOPS: it holds SOPS's metadata, which envkeep would store as it is"
    )


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("sops:\n  enabled: true\n", "yaml"),  # a key named sops, no SOPS metadata in it
        ('{"NOTE": "ENC[ is how sops marks a value"}', "json"),
        ("SOPS_VERSION_PINNED=3.8.1\n", "dotenv"),
    ],
)
def test_a_file_that_only_mentions_sops_is_imported(text: str, fmt: str) -> None:
    result = parse_import(text.encode(), fmt=fmt, source="in." + fmt)

    assert result.values
