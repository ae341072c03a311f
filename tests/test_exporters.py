"""Exporters: each format reads back, in its own tool's parser, to exactly the exported values."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import NAME_PATTERN, parse_dotenv
from envkeep.core.errors import UsageError
from envkeep.core.resolve import Layer, resolve
from envkeep.core.secret_split import SchemaNames, split_secrets
from envkeep.integrations.exporters import EXPORTERS, export, to_github
from envkeep.integrations.github_masks import mask_commands
from envkeep.integrations.k8s_manifests import default_secret_name, secret_name_for

SECRET = "hunter2-s3cr3t-Zq9"

# Single-line values that trip up quoting, comments, expansion and YAML typing.
AWKWARD = {
    "SINGLE_QUOTE": "it's",
    "DOUBLE_QUOTE": 'say "hi"',
    "QUOTED": "'wrapped'",
    "SPACES": "  padded  value ",
    "DOLLAR": "$HOME ${PATH} $(id) `id`",
    "BACKSLASH": "C:\\new\\table\\\\",
    "HASH": "#not-a-comment # still the value",
    "UNICODE": "pässwörd ✓ 😀 \u2028 \x85",
    "EQUALS": "a=b==",
    "HEREDOC_LIKE": "x<<EOF",
    "EMPTY": "",
    "YAML_BOOL": "on",
    "YAML_OCTAL": "0012",
    "YAML_NULL": "null",
    "YAML_TILDE": "~",
    "YAML_ALIAS": "*ref",
    "YAML_MAPPING": "key: value",
    "YAML_LIST": "- item",
    "YAML_FLOW": "{a: [1, 2]}",
    "SECRET": SECRET,
}
MULTILINE = {
    "PEM": "-----BEGIN KEY-----\nMIIB\n-----END KEY-----\n",
    "CRLF": "first\r\nsecond",
    "LEADING_NEWLINE": "\nafter",
    "ONLY_NEWLINES": "\n\n",
    "TAB_AND_CR": "a\tb\rc",
}
EVERYTHING = {**AWKWARD, **MULTILINE}

names = st.from_regex(NAME_PATTERN, fullmatch=True)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
environments = st.dictionaries(names, texts, max_size=6)


def usage_error(values: dict[str, str], fmt: str, **options: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        export(values, fmt, **options)
    return caught.value


def assert_no_value_in(error: UsageError, values: dict[str, str]) -> None:
    shown = f"{error} {error.hint}"
    assert all(value not in shown for value in values.values() if len(value) > 3)


# --- the format list --------------------------------------------------------------------


def test_exporters_lists_every_format_the_cli_can_offer() -> None:
    assert EXPORTERS == (
        "dotenv",
        "json",
        "yaml",
        "shell",
        "docker",
        "k8s",
        "k8s-configmap",
        "github",
        "gitlab",
    )


@pytest.mark.parametrize("fmt", EXPORTERS)
def test_every_listed_format_renders_a_simple_value(fmt: str) -> None:
    assert export({"API_URL": "https://example.test"}, fmt).endswith("\n")


def test_an_unknown_format_names_the_known_ones() -> None:
    error = usage_error({"A": "1"}, "toml")

    assert "'toml'" in str(error)
    assert error.hint is not None
    assert all(fmt in error.hint for fmt in EXPORTERS)


@pytest.mark.parametrize("option", ["name", "namespace"])
def test_a_name_or_namespace_is_refused_outside_the_k8s_formats(option: str) -> None:
    error = usage_error({"A": "1"}, "json", **{option: "prod"})

    assert "k8s" in str(error)
    assert "k8s-configmap" in str(error)


# --- dotenv and json --------------------------------------------------------------------


def test_dotenv_export_parses_back_to_the_same_awkward_values() -> None:
    assert parse_dotenv(export(EVERYTHING, "dotenv")).values == EVERYTHING


def test_json_export_loads_back_to_the_same_values_with_sorted_keys() -> None:
    loaded = json.loads(export(EVERYTHING, "json"))

    assert loaded == EVERYTHING
    assert list(loaded) == sorted(EVERYTHING)


@settings(max_examples=150, deadline=None)
@given(environments)
def test_dotenv_export_round_trips_any_text(values: dict[str, str]) -> None:
    assert parse_dotenv(export(values, "dotenv")).values == values


@settings(max_examples=150, deadline=None)
@given(environments)
def test_json_export_round_trips_any_text(values: dict[str, str]) -> None:
    assert json.loads(export(values, "json")) == values


# --- yaml -------------------------------------------------------------------------------


def test_yaml_export_loads_back_to_the_same_awkward_values() -> None:
    assert yaml.safe_load(export(EVERYTHING, "yaml")) == EVERYTHING


def test_yaml_export_double_quotes_every_value_so_lookalikes_stay_strings() -> None:
    values = {"A": "on", "B": "0012", "C": "null", "D": "1.5", "E": "2024-01-01", "F": "plain"}
    text = export(values, "yaml")

    assert text.splitlines() == [f'{name}: "{value}"' for name, value in values.items()]
    assert yaml.safe_load(text) == values


def test_yaml_export_quotes_names_a_yaml_loader_would_read_as_booleans_or_null() -> None:
    values = {"ON": "1", "y": "2", "null": "3", "PLAIN_NAME": "4"}
    text = export(values, "yaml")

    assert {'"ON": "1"', '"y": "2"', '"null": "3"', 'PLAIN_NAME: "4"'} == set(text.splitlines())
    assert yaml.safe_load(text) == values


def test_yaml_export_keeps_a_long_value_on_one_line() -> None:
    values = {"LONG": "word " * 100}

    assert len(export(values, "yaml").splitlines()) == 1
    assert yaml.safe_load(export(values, "yaml")) == values


def test_yaml_export_of_no_values_is_an_empty_mapping() -> None:
    assert yaml.safe_load(export({}, "yaml")) == {}


@settings(max_examples=150, deadline=None)
@given(environments)
def test_yaml_export_round_trips_any_text(values: dict[str, str]) -> None:
    assert yaml.safe_load(export(values, "yaml")) == values


# --- shell ------------------------------------------------------------------------------


SH = shutil.which("sh")


@pytest.mark.skipif(SH is None, reason="needs a POSIX sh")
def test_shell_export_evaluated_by_sh_sets_exactly_the_values() -> None:
    assert SH is not None
    script = (
        export(EVERYTHING, "shell")
        + "printf '%s\\0' "
        + " ".join(f'"${name}"' for name in EVERYTHING)
    )
    result = subprocess.run([SH, "-c", script], capture_output=True, check=True, env={})

    assert result.stdout.decode("utf-8").split("\0")[:-1] == list(EVERYTHING.values())


def test_shell_export_refuses_a_name_a_shell_cannot_hold() -> None:
    error = usage_error({"my.dotted-name": SECRET}, "shell")

    assert "my.dotted-name" in str(error)
    assert_no_value_in(error, {"v": SECRET})


def test_shell_export_refuses_a_nul_character() -> None:
    error = usage_error({"TOKEN": f"{SECRET}\x00"}, "shell")

    assert "'TOKEN'" in str(error)
    assert SECRET not in f"{error} {error.hint}"


# --- docker -----------------------------------------------------------------------------


def read_docker_env_file(text: str) -> dict[str, str]:
    """What `docker run --env-file` does: trim the line's start, skip '#', split at '='."""
    values = {}
    for raw in text.split("\n"):
        line = raw.removesuffix("\r").lstrip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_docker_export_reads_back_to_the_same_awkward_values() -> None:
    assert read_docker_env_file(export(AWKWARD, "docker")) == AWKWARD


def test_docker_export_writes_values_raw_because_docker_does_not_unquote() -> None:
    text = export({"A": 'say "hi"', "B": "it's", "C": "a\\b"}, "docker")

    assert text == 'A=say "hi"\nB=it\'s\nC=a\\b\n'


@pytest.mark.parametrize("value", [f"{SECRET}\nline two", f"{SECRET}\r"])
def test_docker_export_refuses_a_multi_line_value_and_suggests_dotenv_or_json(
    value: str,
) -> None:
    error = usage_error({"OK": "fine", "PEM_KEY": value}, "docker")

    assert "'PEM_KEY'" in str(error)
    assert error.hint is not None
    assert "--format dotenv" in error.hint
    assert "json" in error.hint
    assert_no_value_in(error, {"v": SECRET})


# --- k8s --------------------------------------------------------------------------------


def load_manifest(text: str) -> dict[str, Any]:
    manifest = yaml.safe_load(text)
    assert isinstance(manifest, dict)
    return manifest


def decoded_data(manifest: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode("utf-8") for k, v in manifest["data"].items()}


def test_k8s_export_is_an_opaque_secret_whose_data_decodes_to_the_values() -> None:
    manifest = load_manifest(export(EVERYTHING, "k8s"))

    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "Secret"
    assert manifest["type"] == "Opaque"
    assert manifest["metadata"] == {"name": "envkeep"}
    assert decoded_data(manifest) == EVERYTHING
    assert list(manifest["data"]) == sorted(EVERYTHING)


def test_k8s_export_sets_the_given_name_and_namespace() -> None:
    manifest = load_manifest(export({"A": "1"}, "k8s", name="api.secrets-1", namespace="prod"))

    assert manifest["metadata"] == {"name": "api.secrets-1", "namespace": "prod"}


def test_k8s_export_keeps_names_that_look_like_yaml_scalars_as_strings() -> None:
    manifest = load_manifest(
        export({"true": "1", "null": "2"}, "k8s", name="null", namespace="123")
    )

    assert manifest["metadata"] == {"name": "null", "namespace": "123"}
    assert decoded_data(manifest) == {"true": "1", "null": "2"}


def test_k8s_export_of_no_values_has_empty_data() -> None:
    assert load_manifest(export({}, "k8s"))["data"] == {}


@pytest.mark.parametrize("fmt", ["k8s", "k8s-configmap"])
def test_k8s_export_refuses_values_over_the_1_mib_kubernetes_takes(fmt: str) -> None:
    # 17 values of 60 kB: 1,020,000 bytes, so the limit is 1 MiB counted over values alone.
    fits = {f"CERT_{i}": "z" * 60_000 for i in range(17)}
    load_manifest(export(fits, fmt))

    error = usage_error({**fits, "CERT_17": "z" * 60_000}, fmt)

    assert "1,080,000 bytes" in str(error)
    assert "1,048,576" in str(error)
    assert error.hint is not None


@pytest.mark.parametrize("key", ["my key", "pässwort", ".", "..hidden", "a/b", "x" * 254])
def test_k8s_export_refuses_a_key_kubernetes_would_reject(key: str) -> None:
    error = usage_error({key: SECRET}, "k8s")

    assert key in str(error)
    assert_no_value_in(error, {"v": SECRET})


@pytest.mark.parametrize("name", ["", "My-App", "-app", "app-", "app_1", "a..b", "a" * 254])
def test_k8s_export_refuses_a_secret_name_that_is_not_dns_1123(name: str) -> None:
    error = usage_error({"A": "1"}, "k8s", name=name)

    assert "Secret name" in str(error)
    assert error.hint is not None
    assert "253" in error.hint


@pytest.mark.parametrize("namespace", ["", "Prod", "prod.eu", "prod_eu", "-prod", "a" * 64])
def test_k8s_export_refuses_a_namespace_that_is_not_a_dns_1123_label(namespace: str) -> None:
    error = usage_error({"A": "1"}, "k8s", namespace=namespace)

    assert "namespace" in str(error)
    assert error.hint is not None
    assert "63" in error.hint


def test_k8s_export_accepts_the_longest_valid_name_and_namespace() -> None:
    name, namespace = ".".join(["a" * 63] * 4)[:253], "n" * 63
    manifest = load_manifest(export({"A": "1"}, "k8s", name=name, namespace=namespace))

    assert manifest["metadata"] == {"name": name, "namespace": namespace}


# --- github -----------------------------------------------------------------------------


def read_github_env_file(text: str) -> dict[str, str]:
    """What the Actions runner does with $GITHUB_ENV on Linux (FileCommandManager)."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, _, value = line.partition("=")
            values[name] = value
            continue
        name, _, delimiter = line.partition("<<")
        body = []
        for body_line in lines:
            if body_line == delimiter:
                break
            body.append(body_line)
        else:
            pytest.fail(f"no closing delimiter for {name}")
        values[name] = "\n".join(body)
    return values


def test_github_export_reads_back_to_the_same_awkward_values() -> None:
    assert read_github_env_file(export(EVERYTHING, "github")) == EVERYTHING


def test_github_export_writes_single_line_values_as_name_equals_value() -> None:
    assert export({"A": "x y", "B": "a<<b"}, "github") == "A=x y\nB=a<<b\n"


def test_github_export_writes_a_multi_line_value_as_a_heredoc_with_a_random_delimiter() -> None:
    lines = export({"PEM": "one\ntwo"}, "github").splitlines()

    assert re.fullmatch(r"PEM<<ghadelim_[0-9a-f]{32}", lines[0])
    assert lines[1:3] == ["one", "two"]
    assert lines[3] == lines[0].removeprefix("PEM<<")


def test_github_export_draws_a_new_delimiter_while_the_value_contains_it() -> None:
    value = "line\nghadelim_first\nEVIL=1"
    draws = iter(["ghadelim_first", "ghadelim_second"])
    text = to_github({"PEM": value}, new_delimiter=lambda: next(draws))

    assert text.splitlines()[0] == "PEM<<ghadelim_second"
    assert read_github_env_file(text) == {"PEM": value}


def test_github_export_refuses_a_nul_character() -> None:
    error = usage_error({"TOKEN": f"{SECRET}\x00"}, "github")

    assert "'TOKEN'" in str(error)
    assert_no_value_in(error, {"v": SECRET})


@settings(max_examples=150, deadline=None)
@given(environments)
def test_github_export_round_trips_any_text(values: dict[str, str]) -> None:
    assert read_github_env_file(export(values, "github")) == values


def test_github_masks_only_the_values_a_split_holds_back_line_by_line() -> None:
    """`info`, `8080` and `shop` are declared and not secret: masked, they would be starred
    wherever a later step prints the words. The file keeps every value as it is."""
    stored = {
        "LOG_LEVEL": "info",
        "PORT": "8080",
        "PROJECT": "shop",
        "DB_PASSWORD": SECRET,
        "CERT": "line one\nline two",  # undeclared
        "REDIS_URL": "redis://:redispw@redis:6379",
    }
    resolution = resolve([Layer("service:api", stored)], service="api")
    schemas = SchemaNames(
        declared=frozenset({"LOG_LEVEL", "PORT", "PROJECT", "REDIS_URL", "DB_PASSWORD"}),
        marked=frozenset({"DB_PASSWORD"}),
    )
    split = split_secrets(resolution, schemas)

    assert mask_commands(split.held.values()).splitlines() == [
        "::add-mask::line one",
        "::add-mask::line two",
        f"::add-mask::{SECRET}",
        "::add-mask::redis://:redispw@redis:6379",
    ]
    assert read_github_env_file(export(stored, "github")) == stored


# --- gitlab -----------------------------------------------------------------------------

RUBY_SPACE = " \t\n\v\f\r\x00"


def read_gitlab_dotenv(text: str) -> dict[str, str]:
    """What GitLab's dotenv report parser does: `/^(.*?)=(.*)$/` per line, both sides stripped."""
    values = {}
    for line in text.split("\n")[:-1]:
        match = re.fullmatch(r"(.*?)=(.*)", line)
        assert match is not None
        values[match[1].strip(RUBY_SPACE)] = match[2].strip(RUBY_SPACE)
    return values


def test_gitlab_export_reads_back_to_the_same_awkward_values() -> None:
    values = {k: v for k, v in AWKWARD.items() if v == v.strip()}

    assert read_gitlab_dotenv(export(values, "gitlab")) == values


@pytest.mark.parametrize("value", [f"{SECRET}\nline two", f"{SECRET}\rx"])
def test_gitlab_export_refuses_a_multi_line_value(value: str) -> None:
    error = usage_error({"PEM_KEY": value}, "gitlab")

    assert "'PEM_KEY'" in str(error)
    assert "GitLab" in str(error)
    assert_no_value_in(error, {"v": SECRET})


@pytest.mark.parametrize("name", ["my.dotted", "kebab-case", "ümlaut"])
def test_gitlab_export_refuses_a_name_gitlab_does_not_accept(name: str) -> None:
    error = usage_error({name: SECRET}, "gitlab")

    assert f"'{name}'" in str(error)
    assert_no_value_in(error, {"v": SECRET})


@pytest.mark.parametrize("value", [f" {SECRET}", f"{SECRET}\t", f"{SECRET} "])
def test_gitlab_export_refuses_a_value_gitlab_would_strip(value: str) -> None:
    error = usage_error({"TOKEN": value}, "gitlab")

    assert "'TOKEN'" in str(error)
    assert "whitespace" in str(error)
    assert_no_value_in(error, {"v": SECRET})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("api", "api"),
        ("Billing_API", "billing-api"),
        ("__web__", "web"),
        ("svc.v2", "svc-v2"),
        ("a" * 70, "a" * 63),
        ("___", "envkeep"),
    ],
)
def test_a_secret_name_made_from_a_service_name_is_one_kubernetes_takes(
    text: str, name: str
) -> None:
    assert secret_name_for(text) == name
    assert load_manifest(export({"A": "1"}, "k8s", name=secret_name_for(text)))["metadata"] == {
        "name": name
    }


@given(st.text(max_size=80))
def test_any_service_or_project_name_gives_a_valid_secret_name(text: str) -> None:
    name = secret_name_for(text)
    assert load_manifest(export({}, "k8s", name=name))["metadata"]["name"] == name


def test_a_default_secret_name_is_the_services_or_project_shared() -> None:
    services = ["api", "web"]
    assert default_secret_name("shop", services, "api") == "api"
    assert default_secret_name("shop", services, None) == "shop-shared"


@pytest.mark.parametrize(
    ("services", "service"),
    [
        (["billing_api", "billing-api"], "billing-api"),
        (["billing_api", "billing-api"], "billing_api"),
        (["shop-shared"], None),
        (["shop-shared"], "shop-shared"),
    ],
)
def test_a_default_secret_name_another_scope_would_share_is_refused(
    services: list[str], service: str | None
) -> None:
    with pytest.raises(UsageError) as raised:
        default_secret_name("shop", services, service)
    assert raised.value.hint == "choose one with --name"
