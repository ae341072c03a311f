"""`--format k8s-configmap`: a Kubernetes ConfigMap whose data reads back, in PyYAML and in
kubectl's own YAML reader, to exactly the exported values."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.errors import UsageError
from envkeep.core.resolve import Layer, resolve
from envkeep.core.secret_split import SchemaNames, split_secrets
from envkeep.integrations.exporters import export
from envkeep.integrations.k8s_manifests import default_secret_name

if TYPE_CHECKING:
    from pathlib import Path

# Values YAML would otherwise retype, unquote, fold, trim or read as something else.
TRICKY = {
    "DOUBLE_QUOTES": 'say "hi" \\"escaped\\"',
    "SINGLE_QUOTES": "it's 'quoted'",
    "BACKSLASHES": "C:\\new\\table\\\\",
    "TRAILING_BACKSLASH": "\\",
    "NEWLINES": "line one\nline two\n\nline four\n",
    "LEADING_NEWLINE": "\nafter",
    "CRLF_TAB_CR": "a\r\nb\tc\rd",
    "SPACES": "  leading, inner  and trailing  ",
    "ONLY_SPACE": " ",
    "HASH": "#not-a-comment a #b",
    "COLON": "key: value",
    "COLON_END": "ends with:",
    "URL": "postgres://user:p@ss@db:5432/shop?sslmode=require",
    "UNICODE": "ünïcødé ✓ 日本語 🙂",
    "UNICODE_BREAKS": "\u2028 \u2029 \x85 \ufeff \xa0",
    "CONTROL": "\x00\x01\x1b\x7f\x9f",
    "EMPTY": "",
    "YES": "yes",
    "NO": "no",
    "ON": "On",
    "Y": "y",
    "TRUE": "true",
    "OCTAL": "0123",
    "HEX": "0x1F",
    "SEXAGESIMAL": "1:20",
    "FLOAT": "1e3",
    "INF": ".inf",
    "NULL": "null",
    "TILDE": "~",
    "DATE": "2024-01-01",
    "ALIAS": "*ref",
    "ANCHOR": "&anchor",
    "TAG": "!!int 3",
    "LIST": "- item",
    "FLOW": "{a: [1, 2]}",
    "DOCUMENT": "---",
    "PERCENT": "%YAML 1.1",
    "LONG": "word " * 100,
}

keys = st.from_regex(r"[-._a-zA-Z0-9]{1,30}", fullmatch=True).filter(
    lambda key: key != "." and not key.startswith("..")
)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]))
KUBECTL = shutil.which("kubectl")


def usage_error(values: dict[str, str], **options: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        export(values, "k8s-configmap", **options)
    return caught.value


def load_manifest(text: str) -> dict[str, Any]:
    manifest = yaml.safe_load(text)
    assert isinstance(manifest, dict)
    return manifest


def test_a_configmap_export_is_a_v1_configmap_whose_data_is_the_values() -> None:
    manifest = load_manifest(export(TRICKY, "k8s-configmap"))

    assert manifest["apiVersion"] == "v1"
    assert manifest["kind"] == "ConfigMap"
    assert "type" not in manifest  # a Secret's field
    assert manifest["metadata"] == {"name": "envkeep"}
    assert manifest["data"] == TRICKY
    assert list(manifest["data"]) == sorted(TRICKY)


def test_a_configmap_export_double_quotes_every_value_on_one_line() -> None:
    text = export(
        {"PORT": "0123", "DEBUG": "no", "EMPTY": "", "NOTE": ' a "b" #c\n', "DSN": "x: y"},
        "k8s-configmap",
        name="api",
        namespace="shop",
    )

    assert text == (
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: api\n"
        "  namespace: shop\n"
        "data:\n"
        '  DEBUG: "no"\n'
        '  DSN: "x: y"\n'
        '  EMPTY: ""\n'
        '  NOTE: " a \\"b\\" #c\\n"\n'
        '  PORT: "0123"\n'
    )


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, texts, max_size=6))
def test_a_configmap_export_round_trips_any_text(values: dict[str, str]) -> None:
    assert load_manifest(export(values, "k8s-configmap"))["data"] == values


@pytest.mark.skipif(KUBECTL is None, reason="needs kubectl")
def test_kubectl_reads_a_configmap_export_back_to_the_same_values(tmp_path: Path) -> None:
    """kubectl's reader (sigs.k8s.io/yaml, YAML 1.1) is the one that matters; `--local`
    reads the file without a cluster."""
    assert KUBECTL is not None
    manifest = tmp_path / "configmap.yaml"
    manifest.write_text(export(TRICKY, "k8s-configmap", name="api"), encoding="utf-8")

    read = subprocess.run(
        [KUBECTL, "label", "--local", "-f", str(manifest), "read=back", "-o", "json"],
        capture_output=True,
        check=True,
        timeout=120,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},  # no kubeconfig
    )

    loaded = json.loads(read.stdout)
    assert (loaded["kind"], loaded["metadata"]["name"]) == ("ConfigMap", "api")
    assert loaded["data"] == TRICKY


def test_a_configmap_export_keeps_names_that_look_like_yaml_scalars_as_strings() -> None:
    manifest = load_manifest(
        export({"true": "1", "null": "2", "0123": "3"}, "k8s-configmap", name="null")
    )

    assert manifest["metadata"] == {"name": "null"}
    assert manifest["data"] == {"true": "1", "null": "2", "0123": "3"}


def test_a_configmap_export_of_no_values_has_empty_data() -> None:
    assert load_manifest(export({}, "k8s-configmap"))["data"] == {}


@pytest.mark.parametrize("key", ["my key", "pässwort", ".", "..hidden", "a/b", "x:y", "x" * 254])
def test_a_configmap_export_refuses_a_key_kubernetes_would_reject_naming_it(key: str) -> None:
    error = usage_error({"OK": "1", key: "value-not-shown"})

    assert f"'{key}'" in str(error)
    assert "ConfigMap" in str(error)
    assert "value-not-shown" not in f"{error} {error.hint}"


@pytest.mark.parametrize("key", ["a.b-c_D9", ".dotfile", "x" * 253])
def test_a_configmap_export_accepts_every_key_kubernetes_takes(key: str) -> None:
    assert load_manifest(export({key: "v"}, "k8s-configmap"))["data"] == {key: "v"}


@pytest.mark.parametrize("name", ["", "My-App", "-app", "app_1", "a" * 254])
def test_a_configmap_export_refuses_a_name_that_is_not_dns_1123(name: str) -> None:
    error = usage_error({"A": "1"}, name=name)

    assert f"invalid Kubernetes ConfigMap name '{name}'" in str(error)


@pytest.mark.parametrize("namespace", ["", "Prod", "prod.eu", "a" * 64])
def test_a_configmap_export_refuses_a_namespace_that_is_not_a_dns_1123_label(
    namespace: str,
) -> None:
    error = usage_error({"A": "1"}, namespace=namespace)

    assert f"invalid Kubernetes namespace '{namespace}'" in str(error)
    assert error.hint is not None
    assert "63" in error.hint


def test_a_default_configmap_name_another_scope_would_share_is_refused_as_a_configmap() -> None:
    with pytest.raises(UsageError) as raised:
        default_secret_name("shop", ["billing_api", "billing-api"], "billing-api", kind="ConfigMap")

    assert "default ConfigMap name 'billing-api'" in str(raised.value)


def test_a_configmap_of_a_split_holds_only_the_values_known_not_to_be_secret() -> None:
    """The tester's values, each declared by a schema: the one marked @secret, the one a
    reference fills from it and the one holding a password in its URL stay out; names that
    look secret but that a schema declares without @secret go in, on purpose."""
    stored = {
        "DB_PASSWORD": "hunter2",
        "CONN": "postgres://app:${DB_PASSWORD}@db/x",
        "DB_PASS": "pw2",
        "APIKEY": "k1",
        "REDIS_URL": "redis://:redispw@redis:6379",
        "LOG_LEVEL": "info",
        "PORT": "8080",
    }
    resolution = resolve([Layer("service:worker", stored)], service="worker")
    schemas = SchemaNames(declared=frozenset(stored), marked=frozenset({"DB_PASSWORD"}))

    text = export(split_secrets(resolution, schemas).plain, "k8s-configmap", name="worker")

    assert load_manifest(text)["data"] == {
        "APIKEY": "k1",
        "DB_PASS": "pw2",
        "LOG_LEVEL": "info",
        "PORT": "8080",
    }
    assert not any(secret in text for secret in ("hunter2", "redispw"))
