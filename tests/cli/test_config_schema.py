"""Schemas and validation: `schema show|init`, the envkeep.toml table form, `validate` (and
`validate-service`) findings, and `run`/`activate-all` refusing what fails validation.

The module shares one copy of the configuration project with an extra environment ``qa``
whose values break every rule (set in-process); the commands under test run as real
processes, all at once.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    PRINT_ENV,
    SERVICES,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    printed_env,
    run_all,
)
from .conftest import copy_of, quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Result, Template

PY = sys.executable
MASK = "••••••"

# qa: each value breaks one rule (web's PUBLIC_URL is empty, worker sets nothing).
QA_API = {
    "PORT": "99999",
    "WORKERS": "100",
    "LOG_LEVEL": "verbose",
    "DATABASE_URL": "postgres://${DB_USER}:${NO_SUCH_NAME}@db/shop",
    "EXTRA_DEBUG": "1",
}
QA_FINDINGS = [  # service, name, rule, severity: in schema order, services sorted
    ("api", "DB_PASSWORD", "missing", "error"),  # the postgres template requires it
    ("api", "PORT", "type", "error"),
    ("api", "LOG_LEVEL", "enum", "error"),
    ("api", "DATABASE_URL", "unresolved", "error"),
    ("api", "WORKERS", "range", "error"),
    ("api", "EXTRA_DEBUG", "unknown", "warning"),
    ("web", "PUBLIC_URL", "empty", "error"),
    ("worker", "API_URL", "missing", "error"),
]
DEV_WARNINGS = [  # dev is valid but for names the schemas do not declare
    ("api", "EXTRA_DEBUG", "unknown", "warning"),
    ("web", "PRICE_HINT", "unknown", "warning"),
    ("web", "WELCOME_TEXT", "unknown", "warning"),
    ("worker", "RETRY_DELAY", "unknown", "warning"),
    ("worker", "VERBOSE", "unknown", "warning"),
]

PROCESSES: dict[str, tuple[str, ...]] = {
    "validate qa": ("validate", "--env", "qa", "--all"),
    "validate qa json": ("validate", "--env", "qa", "--all", "--json"),
    "validate dev": ("validate", "--env", "dev", "--all", "--json"),
    "validate-service": ("validate-service", "api", "--env", "qa", "--json"),
    "run qa": ("run", "--env", "qa", "--service", "web", "--", PY, "-c", PRINT_ENV, "PUBLIC_URL"),
    "run qa no-validate": (
        "run", "--no-validate", "--env", "qa", "--service", "web", "--",
        PY, "-c", PRINT_ENV, "PUBLIC_URL",
    ),
    "run dev api": ("run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, "WORKERS"),
    "activate-all qa": ("activate-all", "--env", "qa"),
    "export qa": ("export", "--env", "qa", "--service", "web", "-f", "k8s", "-o", "web.yaml"),
    "export qa no-validate": (
        "export", "--env", "qa", "--service", "web", "--no-validate", "-f", "json",
    ),
    "schema show api json": ("schema", "show", "api", "--json"),
}  # fmt: skip
# Read in-process, while the processes run.
READS: dict[str, tuple[str, ...]] = {
    "validate qa reveal": ("validate", "--env", "qa", "--all", "--reveal"),
    "validate qa json reveal": ("validate", "--env", "qa", "--all", "--json", "--reveal"),
    "validate --service": ("validate", "--env", "qa", "--service", "api", "--json"),
    "schema show api": ("schema", "show", "api"),
}


@dataclass(frozen=True)
class Checked:
    envkeep: Envkeep
    results: dict[str, Result]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Checked:
    """The qa environment set up, then every command of PROCESSES and READS run."""
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("config-schema"))
    quick_ok(envkeep, "env", "create", "qa")
    # Values the schemas refuse, on purpose (validate is under test): written anyway.
    api = ("--env", "qa", "-s", "api", "--no-validate")
    quick_ok(envkeep, "set", *(f"{k}={v}" for k, v in QA_API.items()), *api)
    quick_ok(envkeep, "set", "PUBLIC_URL=", "--env", "qa", "--service", "web", "--no-validate")
    return Checked(envkeep, run_all(envkeep, PROCESSES, READS))


def findings(result: Result) -> list[tuple[str, str, str, str]]:
    return [(f["service"], f["name"], f["rule"], f["severity"]) for f in json.loads(result.stdout)]


def line_of(output: str, service: str, name: str, rule: str) -> str:
    """The one line of a findings table about ``name``'s ``rule``."""
    [line] = [
        row for row in output.splitlines() if row.split()[:1] == [service] and name in row.split()
        and rule in row.split()
    ]  # fmt: skip
    return line


def test_validate_reports_one_finding_per_line_with_service_name_rule_and_masked_value(
    checked: Checked,
) -> None:
    result = checked.results["validate qa"]

    assert result.code == 3, result.describe()
    rows = [r for r in result.stdout.splitlines()[1:] if r.strip()]
    assert len(rows) == len(QA_FINDINGS)
    for service, name, rule, _severity in QA_FINDINGS:
        line = line_of(result.stdout, service, name, rule)
        assert (MASK in line) == (rule not in {"missing"}), line
    for value in ("99999", "verbose", "NO_SUCH_NAME}@db"):
        assert value not in result.stdout
    assert "7 errors, 1 warning in" in result.stderr


def test_validate_says_a_missing_names_example_in_its_schema_file_is_not_a_default(
    checked: Checked,
) -> None:
    notes = [line for line in checked.results["validate qa"].err_lines if "example" in line]

    # API_URL has one (http://api:8080); DB_PASSWORD, from the postgres template, has none.
    expected = (
        "note: services/worker/.env.example gives API_URL an example value, which is not a"
        " default; a '# @default=VALUE' comment above it makes one"
    )
    assert notes == [expected]
    assert "http://api:8080" not in checked.results["validate qa"].stderr


def test_validate_reveal_shows_each_offending_value_on_its_line(checked: Checked) -> None:
    result = checked.results["validate qa reveal"]

    assert result.code == 3
    assert "99999" in line_of(result.stdout, "api", "PORT", "type")
    assert "verbose" in line_of(result.stdout, "api", "LOG_LEVEL", "enum")
    assert "100" in line_of(result.stdout, "api", "WORKERS", "range")


def test_validate_json_lists_the_findings_in_schema_order_without_values(
    checked: Checked,
) -> None:
    plain, revealed = (
        checked.results["validate qa json"],
        checked.results["validate qa json reveal"],
    )

    assert (plain.code, revealed.code) == (3, 3)
    assert findings(plain) == QA_FINDINGS
    assert all("value" not in f for f in json.loads(plain.stdout))
    values = {f["name"]: f["value"] for f in json.loads(revealed.stdout)}
    assert (values["PORT"], values["WORKERS"], values["PUBLIC_URL"]) == ("99999", "100", "")
    messages = {f["name"]: f["message"] for f in json.loads(plain.stdout)}
    assert "NO_SUCH_NAME" in messages["DATABASE_URL"]  # the dangling reference is named


def test_validate_exits_0_when_there_are_only_warnings(checked: Checked) -> None:
    result = checked.results["validate dev"]

    assert result.code == 0, result.describe()
    assert findings(result) == DEV_WARNINGS


def test_validate_service_is_validate_with_service(checked: Checked) -> None:
    alias, long_form = checked.results["validate-service"], checked.results["validate --service"]

    assert (alias.code, long_form.code) == (3, 3)
    assert alias.stdout == long_form.stdout
    assert findings(alias) == [f for f in QA_FINDINGS if f[0] == "api"]


def test_run_refuses_to_start_a_service_that_fails_validation(checked: Checked) -> None:
    refused, skipped = checked.results["run qa"], checked.results["run qa no-validate"]

    assert refused.code == 3
    assert refused.stdout == ""  # the command never ran
    assert_one_line_error(refused, "web.PUBLIC_URL")
    assert "envkeep validate --env qa --service web," in refused.err_lines[1]  # a hint that works
    assert printed_env(skipped) == {"PUBLIC_URL": ""}


def test_export_refuses_a_service_that_fails_validation_as_run_does(checked: Checked) -> None:
    refused, skipped = checked.results["export qa"], checked.results["export qa no-validate"]

    assert refused.code == 3, refused.describe()
    assert_one_line_error(refused, "web.PUBLIC_URL")
    assert "skip with --no-validate" in refused.err_lines[1], refused.describe()
    assert not (checked.envkeep.cwd / "web.yaml").exists()  # nothing written
    assert skipped.code == 0, skipped.describe()
    assert json.loads(skipped.stdout)["PUBLIC_URL"] == ""


def test_activate_all_refuses_every_service_when_validation_fails(checked: Checked) -> None:
    result = checked.results["activate-all qa"]

    assert result.code == 3
    assert_one_line_error(result, "'qa'")
    assert result.err_lines[1].endswith("envkeep validate --env qa --all")  # several fail
    # api's DATABASE_URL refers to a name not set, which --no-validate would not skip
    assert "--no-validate" not in result.err_lines[1]
    assert not [s for s in SERVICES if (checked.envkeep.cwd / "services" / s / ".env").exists()]


def test_schema_show_lists_what_the_annotations_and_templates_declare(checked: Checked) -> None:
    result = checked.results["schema show api json"]

    assert result.code == 0, result.describe()
    fields = {f["name"]: f for f in json.loads(result.stdout)}
    assert list(fields) == [
        "DB_HOST", "DB_USER", "DB_PASSWORD", "DB_NAME", "DB_ROOT_PASSWORD",  # postgres template
        "PORT", "LOG_LEVEL", "DATABASE_URL", "WORKERS",  # services/api/.env.example
    ]  # fmt: skip
    port, level, url, workers = (
        fields[n] for n in ("PORT", "LOG_LEVEL", "DATABASE_URL", "WORKERS")
    )
    assert (port["type"], port["required"], port["secret"]) == ("port", True, False)
    assert port["description"] == "The HTTP port the API listens on."
    assert (level["type"], level["choices"], level["default"]) == (
        "enum", ["debug", "info", "warn", "error"], "info",
    )  # fmt: skip
    assert (url["type"], url["required"], url["secret"]) == ("url", True, True)
    assert (workers["type"], workers["minimum"], workers["maximum"]) == ("int", 1, 64)
    assert (workers["default"], workers["description"]) == ("4", "Worker processes per pod.")
    assert (fields["DB_PASSWORD"]["secret"], fields["DB_PASSWORD"]["default"]) == (True, None)


def test_schema_show_table_has_a_row_per_variable(checked: Checked) -> None:
    result = checked.results["schema show api"]

    assert result.code == 0
    port = next(row for row in result.stdout.splitlines() if row.startswith("PORT "))
    assert port.split()[:3] == ["PORT", "port", "yes"]
    assert "The HTTP port the API listens on." in port
    workers = next(row for row in result.stdout.splitlines() if row.startswith("WORKERS "))
    assert ">=1" in workers
    assert "<=64" in workers


def test_schema_show_masks_a_secret_default_as_template_show_does(checked: Checked) -> None:
    result = checked.results["schema show api"]

    assert result.code == 0
    assert "insecure-default" not in result.stdout  # DB_ROOT_PASSWORD: @secret, a default


def test_a_schema_default_is_what_a_service_sees_when_no_layer_sets_it(checked: Checked) -> None:
    # services/api/.env.example: `@default=4` for WORKERS, which dev sets nowhere.
    assert printed_env(checked.results["run dev api"]) == {"WORKERS": "4"}


# -- the envkeep.toml table form, and `schema init` ---------------------------------------

WEB_TABLE = """
[services.web.schema]
PUBLIC_URL = { type = "url", required = true, description = "The public address." }
WORKERS = "int"
MODE = { type = "enum", choices = ["fast", "safe"], default = "safe", secret = true }
"""


def test_a_schema_table_in_envkeep_toml_is_shown_and_validated(
    envkeep: Envkeep, config_tree: Path
) -> None:
    toml = config_tree / "envkeep.toml"
    text = toml.read_text(encoding="utf-8").replace('schema = "services/web/.env.example"\n', "")
    toml.write_text(text + WEB_TABLE, encoding="utf-8")
    bad = ("WORKERS=many", "MODE=slow")  # what validate is to find: written past set's check
    quick_ok(envkeep, "set", *bad, "--env", "dev", "--service", "web", "--no-validate")

    shown, checked = envkeep.many(
        ("schema", "show", "web", "--json"), ("validate", "--env", "dev", "-s", "web", "--json")
    )

    assert shown.code == 0, shown.describe()
    fields = {f["name"]: f for f in json.loads(shown.stdout)}
    assert list(fields) == ["PUBLIC_URL", "WORKERS", "MODE"]
    assert fields["PUBLIC_URL"]["description"] == "The public address."
    # a secret default is masked, as everywhere (schema show --reveal shows it)
    assert (fields["MODE"]["choices"], fields["MODE"]["default"]) == (["fast", "safe"], "••••••")
    assert checked.code == 3
    assert findings(checked) == [
        ("web", "WORKERS", "type", "error"),
        ("web", "MODE", "enum", "error"),
        ("web", "PRICE_HINT", "unknown", "warning"),
        ("web", "WELCOME_TEXT", "unknown", "warning"),
    ]


ENTRY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def test_schema_init_writes_names_and_inferred_types_without_values(
    checked: Checked, tmp_path: Path
) -> None:
    target = tmp_path / "worker.env.example"

    result = checked.envkeep(
        "schema", "init", "--service", "worker", "--env", "dev", "-o", str(target)
    )

    assert result.code == 0, result.describe()
    text = target.read_text(encoding="utf-8")
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert all(ENTRY.fullmatch(line) for line in entries), entries  # names, no values
    for value in ("30s", "dev-pass", "db.dev.internal", "api:${api.PORT}"):
        assert value not in text
    shown = json.loads(quick_ok(checked.envkeep, "schema", "show", "worker", "--json").stdout)
    assert [f["name"] for f in shown] == ["API_URL", "CONCURRENCY"]  # the service's own file
    types = _types_in(text)
    assert (types["CONCURRENCY"], types["RETRY_DELAY"], types["VERBOSE"]) == (
        "int", "duration", "bool",
    )  # fmt: skip
    assert _secret_in(text) == {"DB_PASSWORD"}  # by its name; the value is not in the file


def _secret_in(example: str) -> set[str]:
    """The entries of a .env.example annotated ``@secret``."""
    found: set[str] = set()
    pending = False
    for line in example.splitlines():
        if line.startswith("#"):
            pending = pending or "@secret" in line.split()
        elif ENTRY.match(line):
            if pending:
                found.add(line.split("=", 1)[0])
            pending = False
    return found


def _types_in(example: str) -> dict[str, str]:
    """Each entry's @type in a .env.example (``string`` when it has none)."""
    types: dict[str, str] = {}
    pending = "string"
    for line in example.splitlines():
        if match := re.search(r"@type=(\S+)", line):
            pending = match.group(1)
        elif ENTRY.match(line):
            types[line.split("=", 1)[0]] = pending
            pending = "string"
    return types


@pytest.fixture
def billing(envkeep: Envkeep, config_tree: Path) -> Envkeep:
    """A fourth service, ``billing``, with no schema yet and PORT=8080 in dev."""
    (config_tree / "services" / "billing").mkdir()
    quick_ok(envkeep, "service", "add", "billing", "--path", "services/billing")
    quick_ok(envkeep, "set", "PORT=8080", "--env", "dev", "--service", "billing")
    return envkeep


def test_schema_init_declares_a_name_set_in_the_shared_scope_and_the_service_once(
    billing: Envkeep,
) -> None:
    quick_ok(billing, "set", "LOG_LEVEL=", "--env", "dev", "--service", "billing")  # shared: info

    quick_ok(billing, "schema", "init", "--service", "billing", "--env", "dev")

    example = billing.cwd / "services" / "billing" / ".env.example"
    lines = example.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("LOG_LEVEL=")] == ["LOG_LEVEL="]
    shown = json.loads(quick_ok(billing, "schema", "show", "billing", "--json").stdout)
    by_name = {f["name"]: f for f in shown}
    assert by_name["LOG_LEVEL"]["required"] is False  # the service's own value: empty
    quick_ok(billing, "get", "PORT", "--env", "dev", "--service", "billing")


# What `schema init` writes for billing in dev once the shared scope has SHOP_URL: the names
# it inherits from the shared scope keep their types, and are not required.
BILLING_EXAMPLE = """\
# Inherited from the project's shared scope.
DB_HOST=

# Inherited from the project's shared scope.
# @secret
DB_PASSWORD=

# Inherited from the project's shared scope.
LOG_LEVEL=

# Inherited from the project's shared scope.
# @type=url
SHOP_URL=

# @required @type=int
PORT=
"""


def test_schema_init_keeps_the_type_of_a_shared_name_but_does_not_require_it(
    billing: Envkeep,
) -> None:
    quick_ok(billing, "set", "SHOP_URL=https://shop.example", "--env", "dev")  # shared

    result = billing("schema", "init", "--service", "billing", "--env", "dev")

    assert result.code == 0, result.describe()
    example = billing.cwd / "services" / "billing" / ".env.example"
    assert example.read_text(encoding="utf-8") == BILLING_EXAMPLE


def test_a_shared_name_in_a_generated_schema_can_be_removed_but_not_mistyped(
    billing: Envkeep,
) -> None:
    quick_ok(billing, "set", "SHOP_URL=https://shop.example", "--env", "dev")  # shared
    quick_ok(billing, "schema", "init", "--service", "billing", "--env", "dev")

    mistyped = billing("set", "SHOP_URL=shop", "--env", "dev")
    removed = billing("unset", "SHOP_URL", "--env", "dev")

    assert mistyped.code == 3, mistyped.describe()
    assert mistyped.err_lines[0] == (
        "error: refused by service billing's schema: billing.SHOP_URL (type: expected a URL"
        " like scheme://host/path); nothing was written"
    )
    assert removed.code == 0, removed.describe()  # billing does not require it: shared gives it
    assert removed.err_lines == ["unset 1 variable in dev (shared)"]


def test_schema_init_records_the_new_file_as_the_service_schema(billing: Envkeep) -> None:
    result = billing("schema", "init", "--service", "billing", "--env", "dev")

    assert result.code == 0, result.describe()
    written = billing.cwd / "services" / "billing" / ".env.example"
    assert "PORT=\n" in written.read_text(encoding="utf-8")
    shown = json.loads(quick_ok(billing, "schema", "show", "billing", "--json").stdout)
    assert {f["name"]: f["type"] for f in shown}["PORT"] == "int"


def test_schema_init_can_write_outside_the_project(billing: Envkeep, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "billing.env.example"

    result = billing("schema", "init", "--service", "billing", "--env", "dev", "-o", str(target))

    assert result.code == 0, result.describe()
    assert "PORT=\n" in target.read_text(encoding="utf-8")


def test_schema_show_of_an_unknown_service_names_the_known_ones(checked: Checked) -> None:
    result = quick(checked.envkeep, "schema", "show", "billing")

    assert_one_line_error(result, "'billing'", "api", "web", "worker")


def test_service_add_takes_the_env_example_in_its_directory_as_its_schema(
    envkeep: Envkeep, config_tree: Path
) -> None:
    directory = config_tree / "services" / "payments"
    directory.mkdir()
    (directory / ".env.example").write_text("# @type=port\nPORT=\n", encoding="utf-8")

    result = envkeep("service", "add", "payments", "--path", "services/payments")

    assert result.code == 0, result.describe()
    assert "(schema services/payments/.env.example)" in result.stderr
    project_file = (config_tree / "envkeep.toml").read_text(encoding="utf-8")
    assert 'schema = "services/payments/.env.example"' in project_file
    shown = json.loads(quick_ok(envkeep, "schema", "show", "payments", "--json").stdout)
    assert [(f["name"], f["type"]) for f in shown] == [("PORT", "port")]


def test_a_broken_schema_stops_only_the_commands_of_its_own_service(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """A teammate's typo in one service's .env.example (written after `service add`) leaves
    every other service's get and run working; its own commands name the file and line."""
    directory = config_tree / "services" / "payments"
    directory.mkdir()
    example = directory / ".env.example"
    example.write_text("PORT=\n", encoding="utf-8")
    quick_ok(envkeep, "service", "add", "payments", "--path", "services/payments")
    quick_ok(envkeep, "set", "PAID=yes", "--service", "payments", "--env", "dev")
    example.write_text("# @type=integer\nPORT=\n", encoding="utf-8")

    other = envkeep("get", "LOG_LEVEL", "--service", "api", "--env", "dev")
    ran = envkeep("run", "--service", "api", "--env", "dev", "--no-validate", "--", "true")
    own = envkeep("get", "PAID", "--service", "payments", "--env", "dev")
    validated = envkeep("validate", "--service", "api", "--env", "dev")
    every = envkeep("validate", "--all", "--env", "dev")

    assert other.code == 0, other.describe()
    assert ran.code == 0, ran.describe()
    assert own.code == 1, own.describe()
    assert_one_line_error(own, ".env.example:1", "unknown type 'integer'")
    assert validated.code == 0, validated.describe()
    assert "unknown type" not in validated.stderr, validated.describe()
    # Every other service is checked and shown; the broken one is named, and validation failed
    # (3, as the README's table says; it was 1, a broken file's own code).
    assert every.code == 3, every.describe()
    assert "in 3 services (dev); 1 not checked" in every.stderr, (
        every.describe()
    )  # api, web, worker
    [broken] = [line for line in every.err_lines if line.startswith("error: ")]
    assert "unknown type 'integer'" in broken, every.describe()
    assert "payments was not checked (the error above)" in every.stderr
    # A service that refers into the broken one is not checked either; the others still are.
    quick_ok(envkeep, "set", "PAID_TOO=${payments.PAID}", "--service", "web", "--env", "dev")
    referring = envkeep("validate", "--all", "--env", "dev")
    assert referring.code == 3, referring.describe()
    assert "in 2 services (dev); 2 not checked" in referring.stderr, referring.describe()
    assert "web was not checked (the error above)" in referring.stderr, referring.describe()
    assert "payments was not checked (the error above)" in referring.stderr


def test_a_service_is_not_given_a_schema_that_does_not_parse(
    envkeep: Envkeep, config_tree: Path
) -> None:
    directory = config_tree / "services" / "payments"
    directory.mkdir()
    (directory / ".env.example").write_text(
        "# @type=port\nPORT=\n# @type=int\nPORT=\n", encoding="utf-8"
    )
    (directory / "other.example").write_text("# @type=integer\nPORT=\n", encoding="utf-8")
    before = (config_tree / "envkeep.toml").read_bytes()

    added = envkeep("service", "add", "payments", "--path", "services/payments")
    given = envkeep("service", "set", "api", "--schema", "services/payments/other.example")

    assert_one_line_error(added, ".env.example:4", "'PORT' is declared twice with different")
    assert_one_line_error(given, "other.example:1", "unknown type 'integer'")
    (directory / "latin1.example").write_bytes(b"CAFE=caf\xe9\n")
    latin1 = envkeep("service", "set", "api", "--schema", "services/payments/latin1.example")
    assert_one_line_error(latin1, "latin1.example is not UTF-8 text")
    assert (config_tree / "envkeep.toml").read_bytes() == before
    assert "payments" not in quick_ok(envkeep, "service", "list").stdout


def test_an_env_example_written_after_service_add_is_pointed_out_not_silently_ignored(
    billing: Envkeep,
) -> None:
    example = billing.cwd / "services" / "billing" / ".env.example"
    example.write_text("PORT=\n# @required\nSTRIPE_KEY=\n", encoding="utf-8")
    use_it = "envkeep service set billing --schema services/billing/.env.example"

    checked = billing("validate", "--service", "billing", "--env", "dev")
    shown = billing("schema", "show", "billing")

    assert checked.code == 0, checked.describe()  # no schema: nothing to find
    assert "has no schema" in checked.stderr, checked.describe()
    assert use_it in checked.stderr, checked.describe()
    assert use_it in shown.stderr, shown.describe()
    quick_ok(billing, *use_it.split()[1:])
    after = billing("validate", "--service", "billing", "--env", "dev")
    assert after.code == 3, after.describe()  # STRIPE_KEY is required and not set
    assert "STRIPE_KEY" in after.stdout, after.describe()
    assert "has no schema" not in after.stderr, after.describe()
