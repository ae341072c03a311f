"""The project file and environments: `init` (discovery, adoption), finding envkeep.toml,
`init-service`, `env edit|clone`, and protected environments."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    SERVICES,
    STORED,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    editor_env,
    run_all,
    values_by_scope,
)
from .conftest import Envkeep, copy_of, quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Homes, Template


def project_file(root: Path) -> dict[str, object]:
    return tomllib.loads((root / "envkeep.toml").read_text(encoding="utf-8"))


def env_list(envkeep: Envkeep) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(quick_ok(envkeep, "env", "list", "--json").stdout)
    return listed


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Envkeep:
    """One read-only copy of the configuration project for this module."""
    return copy_of(config_template, tmp_path_factory.mktemp("config-project"))


def test_init_yes_adds_every_discovered_service_and_only_the_environments_given(
    envkeep: Envkeep, workdir: Path
) -> None:
    (workdir / "services" / "api" / ".env.example").write_text("PORT=8080\n", encoding="utf-8")
    (workdir / "services" / "worker" / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    (workdir / "services" / "web").mkdir()
    (workdir / "services" / "web" / ".env").write_text("A=1\n", encoding="utf-8")
    for skipped in ("docs", "node_modules/pkg", ".hidden/svc"):
        (workdir / skipped).mkdir(parents=True)
    (workdir / "node_modules" / "pkg" / "Dockerfile").write_text("FROM x\n", encoding="utf-8")
    (workdir / ".hidden" / "svc" / ".env").write_text("B=2\n", encoding="utf-8")

    envkeep.ok("init", "shop", "--env", "dev", "--env", "prod", "--yes")

    written = project_file(workdir)
    assert written["environments"] == ["dev", "prod"]
    assert written["services"] == {
        "api": {"path": "services/api", "schema": "services/api/.env.example"},
        "web": {"path": "services/web"},
        "worker": {"path": "services/worker"},
    }
    services = quick_ok(envkeep, "service", "list", "--json")
    assert [e["name"] for e in env_list(envkeep)] == ["dev", "prod"]
    assert [(s["name"], s["path"]) for s in json.loads(services.stdout)] == [
        ("api", "services/api"),
        ("web", "services/web"),
        ("worker", "services/worker"),
    ]


def test_init_with_no_terminal_and_no_yes_says_how_to_add_what_it_found(
    envkeep: Envkeep, workdir: Path
) -> None:
    (workdir / "services" / "api" / ".env.example").write_text("PORT=8080\n", encoding="utf-8")

    done = envkeep.ok("init", "shop")

    assert done.err_lines[-1] == (
        "found services, not added (no --yes, no terminal to ask):"
        " envkeep service add api --path services/api"
    )
    envkeep.ok("service", "add", "api", "--path", "services/api")  # the line works as given
    assert "api" in quick_ok(envkeep, "service", "list").stdout


def test_init_writes_a_gitignore_that_keeps_personal_overrides_out_of_git(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop", "--yes")

    patterns = [
        line.strip()
        for line in (workdir / ".envkeep" / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name in ("local.env", "local.dev.env", "local-mine.env"):
        assert any(fnmatch.fnmatch(name, p) for p in patterns), (name, patterns)
    assert not any(fnmatch.fnmatch("postgres.env", p) for p in patterns)


def test_commands_find_envkeep_toml_by_walking_up_from_a_subdirectory(shared: Envkeep) -> None:
    deep = shared.cwd / "services" / "api" / "src" / "app"
    deep.mkdir(parents=True, exist_ok=True)
    outside = shared.cwd.parent / "elsewhere"
    outside.mkdir(exist_ok=True)

    inside = shared("get", "DATABASE_URL", "--env", "dev", "--service", "api", cwd=deep)
    lost = shared("get", "DB_HOST", "--env", "dev", cwd=outside)

    assert inside.code == 0, inside.describe()
    assert inside.stdout == "postgres://app:dev-pass@db.dev.internal/shop\n"
    assert lost.code == 2
    assert_one_line_error(lost, "envkeep.toml")


def test_in_a_services_directory_commands_default_to_that_service(
    envkeep: Envkeep, config_tree: Path
) -> None:
    deep = config_tree / "services" / "api" / "src"
    deep.mkdir()

    got = envkeep("get", "LOG_LEVEL", "--env", "dev", cwd=deep)
    ran = envkeep("run", "--env", "dev", "--", "sh", "-c", "echo $LOG_LEVEL", cwd=deep)
    written = envkeep("set", "FROM_API_DIR=1", "--env", "dev", cwd=deep)
    explicit = envkeep("get", "LOG_LEVEL", "--env", "dev", "--service", "worker", cwd=deep)
    at_root = envkeep("set", "FROM_ROOT=1", "--env", "dev")
    shared_here = envkeep("set", "SHARED_FROM_API_DIR=1", "--env", "dev", "-s", "-", cwd=deep)
    run_shared = envkeep(
        "run", "--env", "dev", "--service", "-", "--", "sh", "-c", "echo $LOG_LEVEL", cwd=deep
    )
    no_service = envkeep("env", "diff", "dev", "prod", "--service", "-", cwd=deep)

    assert got.stdout == ran.stdout == "debug\n", (got.describe(), ran.describe())  # api's own
    assert explicit.stdout == "info\n", explicit.describe()  # --service wins: the shared value
    assert "in dev (service api)" in written.stderr, written.describe()
    assert "in dev (shared)" in at_root.stderr, at_root.describe()
    assert "in dev (shared)" in shared_here.stderr, shared_here.describe()  # `-`: shared
    assert run_shared.stdout == "info\n", run_shared.describe()
    assert no_service.code == 2, no_service.describe()  # a command about one service says so
    assert_one_line_error(no_service, "'-' names the shared scope")
    listed = values_by_scope(
        quick_ok(envkeep, "list", "--env", "dev", "--json", "--reveal", "--service", "api").stdout
    )
    assert listed[("api", "FROM_API_DIR")] == "1"
    assert ("shared", "FROM_API_DIR") not in listed
    assert listed[("shared", "FROM_ROOT")] == "1"
    assert listed[("shared", "SHARED_FROM_API_DIR")] == "1"


def test_init_where_envkeep_toml_exists_sets_the_project_up_in_a_fresh_home(
    config_tree: Path, tmp_path: Path, homes: Homes
) -> None:
    # A fresh home has a store of its own; on a server, an account and workspace of its own.
    newcomer = Envkeep(homes.new(tmp_path / "newcomer"), config_tree)
    toml = config_tree / "envkeep.toml"
    if homes.server is not None:  # the file names its project's workspace: not the newcomer's
        outside = newcomer("init")
        assert outside.code == 4, outside.describe()
        assert "which you are not a member of" in outside.err_lines[0]
        assert "delete the 'workspace =' line" in outside.stderr
        kept = [line for line in toml.read_text().splitlines() if not line.startswith("workspace")]
        toml.write_text("\n".join(kept) + "\n")  # a project of its own, in its own workspace
    before = toml.read_bytes()

    newcomer.ok("init")

    services = quick_ok(newcomer, "service", "list", "--json")
    template_default = quick(newcomer, "get", "DB_USER", "--env", "dev", "--service", "api")
    assert [e["name"] for e in env_list(newcomer)] == ["dev", "staging", "prod"]
    assert [(s["name"], s["path"], s["schema"]) for s in json.loads(services.stdout)] == [
        (name, f"services/{name}", f"services/{name}/.env.example")
        for name in ("api", "web", "worker")
    ]
    assert template_default.stdout == "app\n", template_default.describe()
    after = toml.read_bytes()
    if homes.server is not None:  # the workspace it made the project in is recorded, alone
        added = [line for line in after.splitlines() if line not in before.splitlines()]
        assert [line.split(b" = ")[0] for line in added] == [b"workspace"], added
        after = b"\n".join(line for line in after.splitlines() if line not in added) + b"\n"
    assert after == before


def test_init_service_adds_a_service_like_service_add(envkeep: Envkeep, config_tree: Path) -> None:
    (config_tree / "services" / "billing").mkdir()
    before = (config_tree / "envkeep.toml").read_bytes()

    wrong = quick(envkeep, "init-service", "other", "billing", "--path", "services/billing")
    assert wrong.code == 2
    assert_one_line_error(wrong, "'shop'", "'other'")
    assert (config_tree / "envkeep.toml").read_bytes() == before

    envkeep.ok("init-service", "shop", "billing", "--path", "services/billing")

    services = project_file(config_tree)["services"]
    assert isinstance(services, dict)
    assert services["billing"] == {"path": "services/billing"}
    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    billing = {"name": "billing", "path": "services/billing", "schema": None, "schema_table": False}
    assert billing in listed


def test_init_service_takes_the_project_only_optionally(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / "services" / "billing").mkdir()

    added = envkeep("init-service", "billing", "--path", "services/billing")

    assert added.code == 0, added.describe()
    assert added.stderr == "added service 'billing'\n"
    services = project_file(config_tree)["services"]
    assert isinstance(services, dict)
    assert services["billing"] == {"path": "services/billing"}
    extra = quick(envkeep, "init-service", "shop", "billing", "again")
    assert extra.code == 2
    assert_one_line_error(extra, "one service name")


def test_env_edit_renames_describes_protects_and_unprotects(
    envkeep: Envkeep, config_tree: Path
) -> None:
    edited = envkeep.ok(
        "env", "edit", "staging", "--rename", "qa", "--description", "gate", "--protect"
    )

    assert "environment 'qa' updated (protected, description set)" in edited.err_lines
    assert "scripts and CI that name 'staging' need the new name" in edited.stderr
    moved = quick(envkeep, "get", "DB_HOST", "--env", "qa")
    gone = quick(envkeep, "get", "DB_HOST", "--env", "staging")
    envs = {e["name"]: e for e in env_list(envkeep)}
    assert list(envs) == ["dev", "qa", "prod"]
    assert (envs["qa"]["protected"], envs["qa"]["description"]) == (True, "gate")
    assert moved.stdout == "db.staging.internal\n"
    assert_one_line_error(gone, "'staging'")
    assert "if it was renamed, use its new name" in gone.stderr

    asked = envkeep("env", "edit", "qa", "--unprotect", "--description", "")
    renaming = envkeep("env", "edit", "qa", "--rename", "qa2")
    for refused in (asked, renaming):  # a protected one: CI and scripts name it
        assert refused.code == 2, refused.describe()
        assert_one_line_error(refused, "not confirmed; nothing changed")
    assert [e["name"] for e in env_list(envkeep)] == ["dev", "qa", "prod"]
    envkeep.ok("env", "edit", "qa", "--unprotect", "--description", "", "--yes")

    qa = next(e for e in env_list(envkeep) if e["name"] == "qa")
    assert qa["protected"] is False
    assert not qa["description"]

    renamed = envkeep.ok("env", "edit", "qa", "--rename", "test")

    assert "updated" not in renamed.stderr  # a rename alone touched nothing else
    assert renamed.err_lines == [
        "renamed 'qa' to 'test': commands, scripts and CI that name 'qa' need the new name"
    ]


def test_renaming_keeps_an_environments_list_written_over_several_lines_valid(
    envkeep: Envkeep, config_tree: Path
) -> None:
    path = config_tree / "envkeep.toml"
    text = path.read_text(encoding="utf-8")
    one_line = next(line for line in text.splitlines() if line.startswith("environments ="))
    spread = 'environments = [\n  "dev",\n  "staging",\n  "prod",\n]  # every stage'
    path.write_text(text.replace(one_line, spread), encoding="utf-8")

    envkeep.ok("env", "edit", "staging", "--rename", "qa")

    assert project_file(config_tree)["environments"] == ["dev", "qa", "prod"]
    assert "]  # every stage" in path.read_text(encoding="utf-8")


def test_renaming_the_default_environment_keeps_commands_without_env_working(
    envkeep: Envkeep, config_tree: Path
) -> None:
    envkeep.ok("env", "edit", "dev", "--rename", "development")

    result = envkeep("get", "DB_HOST")  # no --env: the project's default environment

    assert result.code == 0, result.describe()
    assert result.stdout == "db.dev.internal\n"


def test_a_protected_environment_refuses_writes_without_yes_and_changes_nothing(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    (tmp_path / "more.env").write_text("NEW_NAME=1\n", encoding="utf-8")
    opened = tmp_path / "editor-opened"
    editor = tmp_path / "editor.py"
    editor.write_text(f"open({str(opened)!r}, 'w').close()\n", encoding="utf-8")
    # a version 2, so that the rollback to 1 below would change the value
    quick_ok(envkeep, "set", "PORT=9443", "--env", "prod", "--service", "api")
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    before = quick_ok(envkeep, "list", "--env", "prod", "--service", "api", "--json").stdout

    refused = run_all(
        envkeep,
        {"set": ("set", "DB_HOST=elsewhere", "--env", "prod")},
        {
            "unset": ("unset", "OLD_FLAG", "--env", "prod"),
            "import": ("import", str(tmp_path / "more.env"), "--env", "prod"),
            "rollback": ("rollback", "PORT", "--to", "1", "--env", "prod", "--service", "api"),
        },
    )
    edit = envkeep("edit", "--env", "prod", env=editor_env(editor))

    for result in [*refused.values(), edit]:
        assert result.code == 2, result.describe()
        assert_one_line_error(result, "protected")
        assert "--yes" in result.stderr
    assert not opened.exists()
    assert quick_ok(envkeep, "list", "--env", "prod", "--service", "api", "--json").stdout == before

    envkeep.ok("set", "DB_HOST=elsewhere", "--env", "prod", "--yes")

    assert quick_ok(envkeep, "get", "DB_HOST", "--env", "prod").stdout == "elsewhere\n"


def test_env_clone_copies_every_scope_of_the_source(envkeep: Envkeep, config_tree: Path) -> None:
    envkeep.ok("env", "clone", "dev", "qa")

    copied: dict[tuple[str, str], str] = {}
    for service in SERVICES:
        listing = quick_ok(
            envkeep, "list", "--env", "qa", "--service", service, "--json", "--reveal"
        )
        copied |= values_by_scope(listing.stdout)
    expected = {
        (scope, name): value
        for scope, values in STORED["dev"].items()
        for name, value in values.items()
    }
    assert copied == expected
    assert [e["name"] for e in env_list(envkeep)] == ["dev", "staging", "prod", "qa"]


def test_service_set_gives_an_existing_service_a_directory_and_a_schema_for_activate_all(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api")
    quick_ok(envkeep, "set", "PORT=8080", "--env", "dev", "--service", "api")
    skipped = quick_ok(envkeep, "activate-all", "--env", "dev")
    assert "envkeep service set api --path DIR" in skipped.stderr
    before = (workdir / "envkeep.toml").read_bytes()

    outside = workdir.parent / "outside"
    outside.mkdir()
    refused = [
        envkeep("service", "set", "api"),
        envkeep("service", "set", "api", "--path", "services/nowhere"),
        envkeep("service", "set", "api", "--path", "services/api", "--schema", "missing.example"),
        envkeep("service", "set", "billing", "--path", "services/api"),
        envkeep("service", "set", "api", "--path", str(outside)),  # activate-all writes there
        envkeep("service", "set", "api", "--path", "../outside"),
    ]

    assert [r.code for r in refused] == [2, 2, 2, 1, 2, 2]
    words = ("--path", "nowhere", "missing.example", "billing", "outside", "outside")
    for result, word in zip(refused, words, strict=True):
        assert_one_line_error(result, word)
    assert (workdir / "envkeep.toml").read_bytes() == before  # nothing half-written

    (workdir / "services" / "api" / ".env.example").write_text(
        "# @type=port\nPORT=\n", encoding="utf-8"
    )
    quick_ok(envkeep, "service", "set", "api", "--path", "./services/../services/api/")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")

    assert project_file(workdir)["services"] == {
        "api": {"path": "services/api", "schema": "services/api/.env.example"}
    }
    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    api = {"name": "api", "path": "services/api", "schema": "services/api/.env.example"}
    assert listed == [{**api, "schema_table": False}]
    quick_ok(envkeep, "activate-all", "--env", "dev")
    assert "PORT=8080" in (workdir / "services" / "api" / ".env").read_text(encoding="utf-8")
    # set would refuse it by the same schema; written anyway, validate is the one under test
    quick_ok(envkeep, "set", "PORT=not-a-port", "--env", "dev", "-s", "api", "--no-validate")
    assert envkeep("validate", "--env", "dev", "--service", "api").code != 0  # its schema counts


def test_service_set_keeps_a_schema_table_and_adds_the_services_own_table_after_it(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api")
    toml = workdir / "envkeep.toml"
    text = toml.read_text(encoding="utf-8").replace("[services.api]\n", "")
    toml.write_text(text + '\n[services.api.schema]\nPORT = "port"\n', encoding="utf-8")
    before = toml.read_bytes()

    refused = envkeep("service", "set", "api", "--schema", "envkeep.toml")
    quick_ok(envkeep, "service", "set", "api", "--path", "services/api")

    assert refused.code == 2
    assert_one_line_error(refused, "table")
    assert project_file(workdir)["services"] == {
        "api": {"path": "services/api", "schema": {"PORT": "port"}}
    }
    assert toml.read_bytes().startswith(before)  # what the user wrote stays, word for word
    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    assert listed == [
        {"name": "api", "path": "services/api", "schema": "envkeep.toml", "schema_table": True}
    ]
    # set would refuse it by the same table; written anyway, validate is the one under test
    quick_ok(envkeep, "set", "PORT=99999", "--env", "dev", "--service", "api", "--no-validate")
    assert envkeep("validate", "--env", "dev", "--service", "api").code == 3  # the table counts


def test_service_set_gives_a_section_back_to_a_stored_service_envkeep_toml_lacks(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api")
    quick_ok(envkeep, "set", "PORT=8080", "--env", "dev", "--service", "api")
    toml = workdir / "envkeep.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[services.api]\n", ""))

    quick_ok(envkeep, "service", "set", "api", "--path", "services/api")
    activated = quick_ok(envkeep, "activate-all", "--env", "dev")

    assert project_file(workdir)["services"] == {"api": {"path": "services/api"}}
    assert "PORT=8080" in (workdir / "services" / "api" / ".env").read_text(encoding="utf-8")
    assert "skipped" not in activated.stderr


def test_activate_all_says_how_to_add_a_service_envkeep_toml_declares_but_the_store_lacks(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api", "--path", "services/api")
    toml = workdir / "envkeep.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[services.worker]\npath = "services/worker"\n'
    )

    skipped = quick_ok(envkeep, "activate-all", "--env", "dev")
    quick_ok(envkeep, "service", "add", "worker")
    again = quick_ok(envkeep, "activate-all", "--env", "dev")

    assert "skipped (not in the store): worker" in skipped.stderr
    assert "envkeep service add worker" in skipped.stderr
    assert "no path" not in skipped.stderr
    assert "skipped" not in again.stderr
    assert (workdir / "services" / "worker" / ".env").is_file()
    assert project_file(workdir)["services"] == {
        "api": {"path": "services/api"},
        "worker": {"path": "services/worker"},
    }


def test_activate_all_writes_nothing_when_a_services_path_leads_out_of_the_project(
    envkeep: Envkeep, workdir: Path
) -> None:
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "service", "add", "api", "--path", "services/api")
    quick_ok(envkeep, "service", "add", "worker", "--path", "services/worker")
    quick_ok(envkeep, "set", "TOKEN=s3cr3t", "--env", "dev")
    outside = workdir.parent / "outside"
    outside.mkdir()
    (workdir / "services" / "link").symlink_to(outside)
    toml = workdir / "envkeep.toml"
    hand_edited = toml.read_text(encoding="utf-8").replace(
        'path = "services/worker"', 'path = "services/link"'
    )
    toml.write_text(hand_edited, encoding="utf-8")

    refused = envkeep("activate-all", "--env", "dev")
    linked = envkeep("service", "set", "api", "--path", "services/link")

    assert refused.code == linked.code == 2
    assert_one_line_error(refused, "worker", "outside the project")
    assert_one_line_error(linked, "services/link", "leads out of the project")
    assert list(outside.iterdir()) == []  # no secrets outside
    assert not (workdir / "services" / "api" / ".env").exists()  # all or nothing

    toml.write_text(hand_edited.replace("services/link", "services/worker"), encoding="utf-8")
    (workdir / "services" / "worker" / ".env.bak").symlink_to(outside / "stolen")
    forced = envkeep("activate-all", "--env", "dev", "--force")
    assert forced.code == 2
    assert_one_line_error(forced, "worker", "outside the project")
    assert list(outside.iterdir()) == []
