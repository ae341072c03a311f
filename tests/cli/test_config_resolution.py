"""What a service sees: template defaults < shared scope < service scope < .envkeep/local.env,
then `${NAME}`, `${service.NAME}` and `$${` expanded; `explain` shows the layers; `template
list|show|create|apply`.

The read-only commands run as real processes, all at once, on one module-wide copy of the
configuration project; staging and prod's web scopes get a reference cycle and a dangling
reference first.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    API_DEV_RESOLVED,
    DATABASE_URL,
    PRINT_ENV,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    printed_env,
    run_all,
    store_a_cycle,
    values_by_scope,
)
from .conftest import copy_of, quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Result, Template

PY = sys.executable
MASK = "••••••"

PROCESSES: dict[str, tuple[str, ...]] = {
    "run api": ("run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, *API_DEV_RESOLVED),
    "run worker": ("run", "-e", "dev", "-s", "worker", "--", PY, "-c", PRINT_ENV, "API_URL"),
    "run web": ("run", "-e", "dev", "-s", "web", "--", PY, "-c", PRINT_ENV, "PRICE_HINT"),
    "get cycle": ("get", "CYCLE_A", "--env", "staging", "--service", "web"),
    "run cycle": ("run", "--no-validate", "-e", "staging", "-s", "web", "--", "true"),
    "get dangling": ("get", "DANGLING", "--env", "prod", "--service", "web"),
    "explain": ("explain", "DB_HOST", "--env", "dev", "--service", "api"),
    "explain references": (
        "explain", "DATABASE_URL", "--env", "dev", "--service", "api", "--json", "--reveal",
    ),
    "template show": ("template", "show", "postgres"),
}  # fmt: skip
# Read back in-process, while the processes run.
READS: dict[str, tuple[str, ...]] = {
    "get beside dangling": ("get", "PUBLIC_URL", "--env", "prod", "--service", "web"),
    "explain reveal": ("explain", "DB_HOST", "--env", "dev", "--service", "api", "--reveal"),
    "explain json": ("explain", "DB_HOST", "--env", "dev", "--service", "api", "--json"),
    "explain dangling": ("explain", "DANGLING", "--env", "prod", "--service", "web", "--json"),
    "template list": ("template", "list", "--json"),
    "template show json": ("template", "show", "postgres", "--json"),
    "template show reveal": ("template", "show", "postgres", "--json", "--reveal"),
}  # fmt: skip


@dataclass(frozen=True)
class Resolved:
    envkeep: Envkeep
    results: dict[str, Result]


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Resolved:
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("config-resolution"))
    store_a_cycle(envkeep, "staging", "web", "CYCLE_A", "CYCLE_B", "CYCLE_C")
    dangling = ("PUBLIC_URL=https://shop.example", "DANGLING=${MIDDLE}", "MIDDLE=x${NOWHERE}")
    quick_ok(envkeep, "set", *dangling, "--env", "prod", "--service", "web")
    return Resolved(envkeep, run_all(envkeep, PROCESSES, READS))


def test_each_layer_beats_the_one_below_and_references_are_expanded(resolved: Resolved) -> None:
    seen = printed_env(resolved.results["run api"])

    assert seen == API_DEV_RESOLVED
    assert seen["DB_NAME"] == "app"  # only the template sets it
    assert seen["DB_HOST"] == "db.dev.internal"  # the shared scope over the template
    assert seen["LOG_LEVEL"] == "debug"  # api's scope over the shared one


def test_a_reference_to_another_service_reads_that_service_s_resolved_value(
    resolved: Resolved,
) -> None:
    assert printed_env(resolved.results["run worker"]) == {"API_URL": "http://api:8080"}


def test_a_doubled_dollar_is_a_literal_reference(resolved: Resolved) -> None:
    assert printed_env(resolved.results["run web"]) == {"PRICE_HINT": "price=${AMOUNT}"}


@pytest.mark.parametrize("key", ["get cycle", "run cycle"])
def test_a_reference_cycle_is_an_error_printing_the_path(resolved: Resolved, key: str) -> None:
    result = resolved.results[key]

    assert result.code == 3
    assert result.stdout == ""
    assert_one_line_error(result, "CYCLE_A -> CYCLE_B -> CYCLE_C -> CYCLE_A")


def test_a_dangling_reference_is_an_error_naming_the_path(resolved: Resolved) -> None:
    result, beside = resolved.results["get dangling"], resolved.results["get beside dangling"]

    assert result.code == 3
    assert_one_line_error(result, "DANGLING -> MIDDLE -> NOWHERE")
    assert beside.stdout == "https://shop.example\n"  # the rest of the scope still resolves
    explained = json.loads(resolved.results["explain dangling"].stdout)
    assert "NOWHERE" in explained["error"]
    assert resolved.results["explain dangling"].code == 3  # as `get` of the same name


def test_explain_marks_the_winning_layer_and_masks_the_values(resolved: Resolved) -> None:
    result = resolved.results["explain"]

    assert result.code == 0, result.describe()
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["template:postgres", MASK] in rows
    assert ["*", "shared", MASK] in rows
    assert ["final:", MASK] in rows
    assert "localhost" not in result.stdout
    assert "db.dev.internal" not in result.stdout


def test_explain_reveal_shows_every_layer_s_value(resolved: Resolved) -> None:
    rows = [line.split() for line in resolved.results["explain reveal"].stdout.splitlines()]

    assert ["template:postgres", "localhost"] in rows
    assert ["*", "shared", "db.dev.internal"] in rows
    assert ["final:", "db.dev.internal"] in rows


def test_explain_json_names_the_layers_the_winner_and_the_references(resolved: Resolved) -> None:
    masked = json.loads(resolved.results["explain json"].stdout)
    revealed = json.loads(resolved.results["explain references"].stdout)

    assert masked["winner"] == "shared"
    assert [layer["layer"] for layer in masked["layers"]] == ["template:postgres", "shared"]
    assert "value" not in masked
    assert all("value" not in layer for layer in masked["layers"])
    assert revealed["winner"] == "service:api"
    assert revealed["references"] == ["DB_USER", "DB_PASSWORD", "DB_HOST"]
    assert revealed["layers"] == [{"layer": "service:api", "value": DATABASE_URL}]
    assert revealed["value"] == API_DEV_RESOLVED["DATABASE_URL"]


def test_template_list_and_show_describe_the_project_templates(resolved: Resolved) -> None:
    listed = json.loads(resolved.results["template list"].stdout)
    shown = json.loads(resolved.results["template show json"].stdout)

    assert [(t["name"], t["variables"]) for t in listed] == [("postgres", 5)]
    assert listed[0]["source"].endswith(".envkeep/templates/postgres.env")
    defaults = {f["name"]: f["default"] for f in shown["fields"]}
    assert defaults == {
        "DB_HOST": "localhost",
        "DB_USER": "app",
        "DB_PASSWORD": None,
        "DB_NAME": "app",
        "DB_ROOT_PASSWORD": MASK,  # @secret: masked unless --reveal
    }
    secret = {f["name"]: f["secret"] for f in shown["fields"]}
    assert secret["DB_PASSWORD"] is secret["DB_ROOT_PASSWORD"] is True


def test_template_show_masks_secret_defaults_unless_reveal(resolved: Resolved) -> None:
    table = resolved.results["template show"].stdout
    revealed = json.loads(resolved.results["template show reveal"].stdout)

    assert "insecure-default" not in table
    root = next(row for row in table.splitlines() if row.startswith("DB_ROOT_PASSWORD"))
    assert MASK in root
    assert table.splitlines()[0].split()[-1] == "SECRET"
    assert root.split()[-1] == "yes"  # its SECRET column, as schema show has one
    assert {f["name"]: f["default"] for f in revealed["fields"]}["DB_ROOT_PASSWORD"] == (
        "insecure-default"
    )


# -- tests that change the project ---------------------------------------------------------


def test_an_export_says_which_values_are_personal_overrides(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / ".envkeep" / "local.env").write_text("LOG_LEVEL=warn\n", encoding="utf-8")

    exported = envkeep("export", "--env", "prod", "--service", "api", "--format", "json")

    assert exported.code == 0, exported.describe()
    assert json.loads(exported.stdout)["LOG_LEVEL"] == "warn"
    assert (
        "note: 1 value from .envkeep/local.env, your personal overrides: LOG_LEVEL"
        in exported.err_lines
    )


def test_get_notes_on_stderr_a_value_that_is_a_personal_override(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / ".envkeep" / "local.env").write_text("LOG_LEVEL=warn\n", encoding="utf-8")

    personal = envkeep("get", "LOG_LEVEL", "--env", "prod", "--service", "api")
    team = envkeep("get", "DB_HOST", "--env", "prod", "--service", "api")

    assert (personal.code, personal.stdout) == (0, "warn\n"), personal.describe()
    assert personal.err_lines == [
        "note: prod gets 1 value from .envkeep/local.env, your personal overrides: LOG_LEVEL"
    ]
    assert team.code == 0, team.describe()
    assert team.stderr == ""


def test_local_overrides_beat_every_layer_and_are_never_stored(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / ".envkeep" / "local.env").write_text(
        "LOG_LEVEL=warn\nDB_USER=me\n", encoding="utf-8"
    )

    run = envkeep(
        "run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, "LOG_LEVEL", "DATABASE_URL"
    )

    assert printed_env(run) == {
        "LOG_LEVEL": "warn",
        "DATABASE_URL": "postgres://me:dev-pass@db.dev.internal/shop",
    }
    listing = quick_ok(envkeep, "list", "--env", "dev", "-s", "api", "--json", "--reveal").stdout
    assert values_by_scope(listing)[("api", "LOG_LEVEL")] == "debug"
    assert {scope for scope, _name in values_by_scope(listing)} == {"shared", "api"}
    assert "warn" not in listing
    assert "me" not in values_by_scope(listing).values()
    explained = json.loads(
        quick_ok(envkeep, "explain", "LOG_LEVEL", "-e", "dev", "-s", "api", "--json").stdout
    )
    assert explained["winner"] == "local"
    assert [layer["layer"] for layer in explained["layers"]] == [
        "schema default",
        "shared",
        "service:api",
        "local",
    ]


REDIS = """\
# @required
REDIS_HOST=localhost
REDIS_URL=redis://${REDIS_HOST}:6379/0
"""


def test_a_created_template_applied_to_a_service_gives_it_defaults(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    source = tmp_path / "redis.env"
    source.write_text(REDIS, encoding="utf-8")

    envkeep.ok("template", "create", "redis", "--from", str(source))
    envkeep.ok("template", "apply", "redis", "--service", "worker")

    assert (config_tree / ".envkeep" / "templates" / "redis.env").is_file()
    project = tomllib.loads((config_tree / "envkeep.toml").read_text(encoding="utf-8"))
    assert project["services"]["worker"]["templates"] == ["redis"]
    assert project["services"]["api"]["templates"] == ["postgres"]
    got = quick_ok(envkeep, "get", "REDIS_URL", "--env", "dev", "--service", "worker")
    assert got.stdout == "redis://localhost:6379/0\n"
    quick_ok(envkeep, "set", "REDIS_HOST=cache.internal", "--env", "dev")  # shared > template
    got = quick_ok(envkeep, "get", "REDIS_URL", "--env", "dev", "--service", "worker")
    assert got.stdout == "redis://cache.internal:6379/0\n"
    names = [t["name"] for t in json.loads(quick_ok(envkeep, "template", "list", "--json").stdout)]
    assert names == ["postgres", "redis"]


def test_a_detached_template_no_longer_gives_the_service_defaults(
    envkeep: Envkeep, config_tree: Path
) -> None:
    get_user = ("get", "DB_USER", "--env", "dev", "--service", "api")
    assert quick_ok(envkeep, *get_user).stdout == "app\n"  # the template's default

    result = envkeep.ok("template", "detach", "postgres", "--service", "api")

    assert "no longer uses template 'postgres'" in result.stderr + result.stdout
    project = tomllib.loads((config_tree / "envkeep.toml").read_text(encoding="utf-8"))
    assert project["services"]["api"]["templates"] == []
    assert (config_tree / ".envkeep" / "templates" / "postgres.env").is_file()
    assert quick(envkeep, *get_user).code != 0  # no default left, nothing stored
    port = quick_ok(envkeep, "get", "PORT", "--env", "dev", "--service", "api")
    assert port.stdout == "8080\n"  # stored values stay


def test_detaching_a_template_the_service_does_not_use_names_those_it_does(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = (config_tree / "envkeep.toml").read_bytes()

    used = envkeep("template", "detach", "redis", "--service", "api")
    unused = envkeep("template", "detach", "postgres", "--service", "worker")

    assert_one_line_error(used, "does not use template 'redis'")
    assert used.err_lines[1] == "hint: it uses: postgres"
    assert_one_line_error(unused, "does not use template 'postgres'")
    assert "nothing to detach" in unused.err_lines[1]
    assert (config_tree / "envkeep.toml").read_bytes() == before


def test_list_names_what_a_service_gets_only_from_defaults_and_where_to_see_it(
    envkeep: Envkeep, config_tree: Path
) -> None:
    listed = envkeep.ok("list", "--env", "dev", "--service", "api")
    shared = envkeep.ok("list", "--env", "dev")
    as_json = json.loads(envkeep.ok("list", "--env", "dev", "--service", "api", "--json").stdout)

    assert listed.err_lines == [
        "api also gets DB_NAME, DB_ROOT_PASSWORD, DB_USER from template postgres (stored nowhere)",
        "api also gets WORKERS from its schema's defaults (stored nowhere)",
        "everything api gets, resolved: envkeep export --env dev --service api",
    ]
    assert "DB_USER" not in listed.stdout  # the table holds stored values only
    assert shared.stderr == ""  # the shared scope has no defaults of its own
    assert "DB_USER" not in {row["name"] for row in as_json}


def test_list_names_the_personal_overrides_over_what_it_shows(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / ".envkeep" / "local.env").write_text("LOG_LEVEL=warn\n", encoding="utf-8")

    listed, as_json = envkeep.many(("list", "--env", "dev"), ("list", "--env", "dev", "--json"))

    assert listed.err_lines == [
        "note: dev gets 1 value from .envkeep/local.env, your personal overrides: LOG_LEVEL"
    ]
    assert "shared (overridden by local)" in next(
        line for line in listed.stdout.splitlines() if line.startswith("LOG_LEVEL ")
    )
    assert {row["name"]: row["overridden_by"] for row in json.loads(as_json.stdout)} == {
        row["name"]: "local" if row["name"] == "LOG_LEVEL" else None
        for row in json.loads(as_json.stdout)
    }


def test_a_reference_with_a_fallback_resolves_to_it_until_the_name_is_set(
    envkeep: Envkeep, config_tree: Path
) -> None:
    written = envkeep.ok("set", "CACHE_URL=redis://${REDIS_HOST:-localhost}:6379", "--env", "dev")
    before = quick_ok(envkeep, "get", "CACHE_URL", "--env", "dev").stdout
    quick_ok(envkeep, "set", "REDIS_HOST=cache.internal", "--env", "dev")
    after = envkeep.ok("get", "CACHE_URL", "--env", "dev", "--service", "api").stdout

    assert "warning" not in written.stderr  # nothing that will not resolve
    assert before == "redis://localhost:6379\n"
    assert after == "redis://cache.internal:6379\n"
    refused = envkeep("set", "BAD=${A:-${B}}", "--env", "dev")
    assert_one_line_error(
        refused,
        "the value of BAD has a reference inside a fallback (${A:-${B}}): a fallback is text"
        " only and cannot hold another reference",
    )
    assert "set A=${B} in the shared scope" in refused.stderr


def test_a_name_not_found_says_where_the_service_gets_it_or_points_to_the_close_one(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """`get` resolves DB_NAME from api's postgres template, so `history` and `unset` of it are
    told where it comes from; a typo is pointed at the close name, not at creating the typo."""
    api = ("--env", "dev", "--service", "api")

    history, typo, unknown = envkeep.many(
        ("history", "DB_NAME", *api), ("unset", "PROT", *api), ("get", "ZZZ_UNHEARD_OF", *api)
    )

    assert history.code == 1, history.describe()
    assert history.err_lines[0] == "error: variable 'DB_NAME' not found in service 'api' of 'dev'"
    assert history.err_lines[1] == (
        "hint: api gets it from template 'postgres', which is not stored (no versions);"
        " setting it overrides that: envkeep set DB_NAME=VALUE --env dev --service api"
    )
    assert typo.code == 1, typo.describe()
    assert typo.err_lines[0].endswith("(did you mean PORT?)"), typo.describe()
    assert typo.err_lines[1] == (
        "hint: check the name; the names stored there: envkeep list --env dev --service api"
    )
    assert unknown.err_lines[1] == (
        "hint: set it with: envkeep set ZZZ_UNHEARD_OF=VALUE --env dev --service api"
    )
