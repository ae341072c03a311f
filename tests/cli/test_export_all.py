"""`envkeep export --all`: every service's values in one export (k8s: one Secret per service in
one multi-document YAML; json: one object keyed by service), each part what exporting that
service alone writes; from one read of the environment; all or nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import yaml

from envkeep.client.context import ClientContext
from envkeep.client.export_all import resolved_services
from tests.counted_reads import backend_reads

from .config_fixtures import (
    SERVICES,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from .conftest import Envkeep


def _single(envkeep: Envkeep, fmt: str) -> dict[str, str]:
    """Each service's own export in ``fmt`` (dev), by service."""
    return {
        s: envkeep.ok("export", "--env", "dev", "--service", s, "--format", fmt).stdout
        for s in SERVICES
    }


def test_export_all_k8s_writes_one_secret_per_service_each_as_its_own_export_writes_it(
    envkeep: Envkeep, config_tree: Path
) -> None:
    target = config_tree / "secrets.yaml"

    printed = envkeep.ok("export", "--env", "dev", "--all", "--format", "k8s")
    written = envkeep.ok(
        "export", "--env", "dev", "--all", "--format", "k8s-secret", "-o", str(target)
    )

    alone = _single(envkeep, "k8s")
    documents = list(yaml.safe_load_all(printed.stdout))
    assert [d["metadata"]["name"] for d in documents] == list(SERVICES)
    assert documents == [yaml.safe_load(alone[s]) for s in SERVICES]
    assert all(d["kind"] == "Secret" and d["data"] for d in documents)
    assert printed.stdout.count("\n---\n") == len(SERVICES) - 1
    assert target.read_text(encoding="utf-8") == printed.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    assert f"wrote 3 services ({sum(len(d['data']) for d in documents)} variables)" in (
        written.stderr
    ), written.describe()
    assert "Secret names: api, web, worker" in printed.stderr, printed.describe()


def test_export_all_json_is_one_object_keyed_by_service_each_its_own_json_export(
    envkeep: Envkeep, config_tree: Path
) -> None:
    together = envkeep.ok("export", "--env", "dev", "--all", "--format", "json")

    alone = _single(envkeep, "json")
    by_service = json.loads(together.stdout)
    assert list(by_service) == list(SERVICES)
    assert by_service == {s: json.loads(alone[s]) for s in SERVICES}
    assert by_service["api"]["PORT"]  # values, not empty objects


def test_export_all_reads_the_environment_once_for_every_service(
    envkeep: Envkeep, config_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ClientContext(envkeep.settings(), config_tree)
    try:
        read = backend_reads(client, monkeypatch)
        checks = resolved_services(client, "dev", validate=True)
    finally:
        client.close()

    assert read == ["dev"]
    assert [c.service for c in checks] == list(SERVICES)


def test_export_all_refuses_another_format_a_service_or_a_name_before_reading(
    envkeep: Envkeep, config_tree: Path
) -> None:
    target = config_tree / "out.env"
    as_dotenv, with_service, with_name = envkeep.many(
        ("export", "--env", "dev", "--all", "--format", "dotenv", "-o", str(target)),
        ("export", "--env", "dev", "--all", "--service", "api", "--format", "k8s"),
        ("export", "--env", "dev", "--all", "--format", "k8s", "--name", "shop"),
    )

    assert as_dotenv.code == 2, as_dotenv.describe()
    assert_one_line_error(as_dotenv, "--all takes --format k8s", "json", "not dotenv")
    assert "envkeep activate-all" in as_dotenv.stderr
    assert not target.exists()
    assert with_service.code == 2, with_service.describe()
    assert_one_line_error(with_service, "--service api")
    assert with_name.code == 2, with_name.describe()
    assert_one_line_error(with_name, "--name")
    assert with_service.stdout == with_name.stdout == ""


def test_export_all_writes_nothing_when_one_service_fails_validation_naming_it(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "CONCURRENCY=many", "--env", "dev", "-s", "worker", "--no-validate")
    target = config_tree / "secrets.yaml"

    refused = envkeep("export", "--env", "dev", "--all", "--format", "k8s", "-o", str(target))
    skipped = envkeep("export", "--env", "dev", "--all", "--format", "json", "--no-validate")

    assert refused.code == 3, refused.describe()
    assert_one_line_error(refused, "worker.CONCURRENCY")
    assert "many" not in refused.stderr
    assert not target.exists()
    assert refused.stdout == ""
    assert skipped.code == 0, skipped.describe()
    assert json.loads(skipped.stdout)["worker"]["CONCURRENCY"] == "many"


def test_export_all_refuses_two_services_whose_secrets_would_share_a_name(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "service", "add", "billing_api")
    quick_ok(envkeep, "service", "add", "billing-api")
    target = config_tree / "secrets.yaml"

    refused = envkeep("export", "--env", "dev", "--all", "--format", "k8s", "-o", str(target))

    assert refused.code == 2, refused.describe()
    assert_one_line_error(refused, "'billing-api'", "nothing was written")
    assert "--service NAME --name NAME" in refused.stderr
    assert not target.exists()
