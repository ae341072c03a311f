"""Input the CLI refuses before it stores anything, and paths and names it explains: each found
by walking the daily loop by hand (a service called `shared`, `${}` in a value, a directory
where a file was meant, `--env ''`, a teammate's new service in envkeep.toml). Set-up and
read-back run in this process (``quick_ok``); the commands refused or under test as processes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def _names(envkeep: Envkeep, *scope: str) -> dict[str, str]:
    listed = json.loads(
        quick_ok(envkeep, "list", "--env", "dev", "--json", "--reveal", *scope).stdout
    )
    return {v["name"]: v["value"] for v in listed}


def _one_error(result: object, code: int, *texts: str) -> None:
    from .conftest import Result

    assert isinstance(result, Result)
    assert result.code == code, result.describe()
    assert result.err_lines[0].startswith("error: "), result.describe()
    assert "this is a bug" not in result.stderr
    assert "Traceback" not in result.stderr
    for text in texts:
        assert text in result.stderr, result.describe()


def test_a_service_cannot_be_called_shared(envkeep: Envkeep, project: Path) -> None:
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("service", "add", "shared")

    # The shared scope's name: a service called so had its values read as the shared ones.
    _one_error(refused, 2, "'shared' cannot name a service")
    assert (project / "envkeep.toml").read_bytes() == before
    listed = json.loads(quick_ok(envkeep, "service", "list", "--json").stdout)
    assert "shared" not in {s["name"] for s in listed}


def test_a_value_whose_reference_is_malformed_is_refused_and_nothing_is_written(
    envkeep: Envkeep, project: Path
) -> None:
    for value in ("${}", "${a b}", "${PORT:-${X}}", "x${"):
        refused = envkeep("set", f"BAD={value}", "OK=1", "--env", "dev")
        nested = value == "${PORT:-${X}}"  # said as such: a fallback is text only
        hint = "B's value itself as the fallback" if nested else "'$${'"
        _one_error(refused, 3, "the value of BAD has", hint)
        assert value not in refused.stderr or value == "x${"  # values are never echoed
    assert _names(envkeep) == {}
    envkeep.ok("set", "LITERAL=$${a b}", "REF=${LITERAL}", "--env", "dev")
    assert quick_ok(envkeep, "get", "REF", "--env", "dev").stdout == "${a b}\n"


def test_a_value_that_refers_to_its_own_name_is_refused_and_nothing_is_written(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")

    for scope in ((), ("--service", "api")):
        refused = envkeep("set", "LOG_LEVEL=${LOG_LEVEL}-x", "OK=1", "--env", "dev", *scope)
        _one_error(refused, 3, "LOG_LEVEL refers to itself (${LOG_LEVEL})", "write the whole")
    qualified = envkeep("set", "LOG_LEVEL=${api.LOG_LEVEL}", "--env", "dev", "--service", "api")
    _one_error(qualified, 3, "LOG_LEVEL refers to itself (${api.LOG_LEVEL})")
    file = project / "cycle.env"
    file.write_text("OK=1\nLOG_LEVEL=${LOG_LEVEL}:extra\n", encoding="utf-8")
    _one_error(envkeep("import", str(file), "--env", "dev"), 3, "LOG_LEVEL refers to itself")
    assert _names(envkeep) == {"LOG_LEVEL": "info"}
    assert _names(envkeep, "--service", "api") == {"LOG_LEVEL": "info"}
    envkeep.ok("set", "LEVEL=${LOG_LEVEL}", "--env", "dev", "--service", "api")  # another name


def test_cloning_an_environment_that_is_not_there_does_not_offer_to_create_it(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("env", "clone", "nope", "qa2")

    _one_error(refused, 1, "environment 'nope' not found", "envkeep env list")
    assert "create" not in refused.stderr
    assert "qa2" not in quick_ok(envkeep, "env", "list").stdout


def test_a_name_given_twice_in_one_set_is_refused(envkeep: Envkeep, project: Path) -> None:
    _one_error(envkeep("set", "A=1", "A=2", "--env", "dev"), 2, "A is given twice")
    assert _names(envkeep) == {}


def test_schema_init_does_not_require_what_is_stored_empty(envkeep: Envkeep, project: Path) -> None:
    quick_ok(envkeep, "set", "PORT=8080", "EMPTY=", "--env", "dev", "--service", "api")

    envkeep.ok("schema", "init", "--service", "api", "--env", "dev", "--force")

    written = (project / "services" / "api" / ".env.example").read_text()
    assert "# @required @type=int\nPORT=\n" in written
    assert "EMPTY=" in written
    assert "@required" not in written.split("EMPTY=")[0].rsplit("\n\n", 1)[-1]
    envkeep.ok("validate", "--env", "dev", "--service", "api")  # the values it came from pass


def test_a_directory_where_a_file_is_meant_is_one_line_naming_it(
    envkeep: Envkeep, project: Path
) -> None:
    folder = project / "folder"
    folder.mkdir()
    for args in (
        ("import", str(folder), "--env", "dev"),
        ("export", "--env", "dev", "-o", str(folder), "--force"),
        ("run", "--file", str(folder), "--", "true"),
    ):
        _one_error(envkeep(*args), 2, f"error: {folder}: Is a directory", "give the path of a file")
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]


def test_run_file_refuses_options_that_pick_from_the_store(envkeep: Envkeep, project: Path) -> None:
    values = project / "plain.env"
    values.write_text("A=from-file\n")
    command = ("--", "true")

    refused = envkeep("run", "--file", str(values), "--service", "api", "--env", "dev", *command)

    _one_error(refused, 2, "--file runs with the file's values alone; --env, --service would")
    assert (
        refused.err_lines[1] == "hint: drop --env and --service, or drop --file to read the store"
    )
    assert envkeep.ok("run", "--file", str(values), *command).code == 0


def test_an_empty_env_name_is_refused_not_taken_for_the_default(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "A=1", "--env", "dev")

    _one_error(envkeep("get", "A", "--env", ""), 2, "--env needs a name")
    _one_error(envkeep("set", "A=2", "--env", ""), 2, "--env needs a name")
    assert quick_ok(envkeep, "get", "A", "--env", "dev").stdout == "1\n"


def test_running_a_directory_says_it_is_one(envkeep: Envkeep, project: Path) -> None:
    _one_error(envkeep("run", "--env", "dev", "--", str(project)), 126, "is a directory")


def test_promote_into_the_same_environment_is_a_usage_error(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "A=1", "--env", "dev")

    _one_error(envkeep("promote", "--from", "dev", "--to", "dev", "--yes"), 2, "both name 'dev'")


def test_a_service_a_teammate_declared_in_envkeep_toml_is_registered_by_init(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "services" / "billing").mkdir(parents=True)
    with (project / "envkeep.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[services.billing]\npath = "services/billing"\n')

    missing = envkeep("set", "A=1", "--env", "dev", "--service", "billing")
    _one_error(missing, 1, "service 'billing' not found", "hint: envkeep.toml declares it")
    assert "envkeep init" in missing.stderr

    done = envkeep.ok("init")
    assert "registered the services envkeep.toml adds: billing" in done.stderr
    envkeep.ok("set", "A=1", "--env", "dev", "--service", "billing")
    assert envkeep.ok("get", "A", "--env", "dev", "--service", "billing").stdout == "1\n"
    again = envkeep.ok("init")  # idempotent: onboarding scripts run it every time
    assert "set up already; nothing to do" in again.stderr


def test_an_environment_a_teammate_listed_in_envkeep_toml_is_created_by_init(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    toml = project / "envkeep.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('"prod"]', '"prod", "qa"]'), encoding="utf-8")
    assert '"qa"]' in toml.read_text(encoding="utf-8")

    done = envkeep.ok("init")

    if homes.server is not None:  # the team's one store: what a member lacks there is not made
        assert "set up already; nothing to do" in done.stderr
        assert envkeep("set", "A=1", "--env", "qa").code == 1
        return
    assert "created the environments envkeep.toml adds: qa" in done.stderr
    envkeep.ok("set", "A=1", "--env", "qa")
    assert envkeep.ok("get", "A", "--env", "qa").stdout == "1\n"
    again = envkeep.ok("init")
    assert "set up already; nothing to do" in again.stderr
    assert toml.read_text(encoding="utf-8").count('"qa"') == 1


def test_setting_a_value_a_name_already_holds_adds_no_version(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "A=1", "B=1", "--env", "dev")

    again = envkeep.ok("set", "A=1", "B=2", "--env", "dev")

    assert "set 1 variable in dev (shared); 1 unchanged" in again.stderr
    history = json.loads(envkeep.ok("history", "A", "--env", "dev", "--json").stdout)
    assert [h["version"] for h in history] == [1]
    assert quick_ok(envkeep, "get", "B", "--env", "dev").stdout == "2\n"
    assert "set 0 variables" in envkeep.ok("set", "A=1", "--env", "dev").stderr


def test_a_file_encrypted_for_a_deleted_environment_says_its_key_is_gone(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "in.env").write_text("A=1\n")
    quick_ok(envkeep, "env", "create", "tmp")
    quick_ok(envkeep, "encrypt", "in.env", "-o", "in.env.enc", "--env", "tmp")
    quick_ok(envkeep, "env", "delete", "tmp", "--yes")

    gone = envkeep("decrypt", "in.env.enc", "-o", "out.env")

    _one_error(gone, 4, "with the key of environment 'tmp', which is not in project 'shop'")
    assert "env create" not in gone.stderr  # a new 'tmp' has another key: no way back there
    assert not (project / "out.env").exists()


def test_a_value_over_64_kib_is_refused_before_anything_is_written(
    envkeep: Envkeep, project: Path
) -> None:
    big = "é" * 40_000  # 80,000 bytes in UTF-8, 40,000 characters
    source = project / "big-value.env"
    source.write_text(f"FIRST=1\nBUNDLE={big}\n", encoding="utf-8")

    by_set = envkeep("set", "OK=1", f"BUNDLE={big}", "--env", "dev")
    by_import = envkeep("import", str(source), "--env", "dev")

    for refused in (by_set, by_import):
        _one_error(refused, 2, "the value of BUNDLE is 80,000 bytes", "at most 65,536")
        assert big not in refused.stderr
    assert _names(envkeep) == {}
    fits = "x" * 65_536
    envkeep.ok("set", f"EDGE={fits}", "--env", "dev")
    assert quick_ok(envkeep, "get", "EDGE", "--env", "dev").stdout == fits + "\n"


def test_a_file_argument_that_names_nothing_is_a_usage_error_for_every_file_command(
    envkeep: Envkeep, project: Path
) -> None:
    """`import`, `encrypt` and `decrypt` of a missing file: one error, one exit code (2)."""
    for command in (
        ("import", "absent.env", "--env", "dev"),
        ("encrypt", "absent.env"),
        ("decrypt", "absent.env.enc"),
    ):
        refused = envkeep(*command)
        _one_error(refused, 2, "absent.env")
        assert "not found" in refused.err_lines[0], refused.describe()


def test_a_value_after_an_empty_assignment_is_refused_and_nothing_is_written(
    envkeep: Envkeep, project: Path
) -> None:
    """`set TOKEN= 's3cr3t='`: a space after the '=' stored an empty TOKEN and a variable named
    `s3cr3t` (the value as a name). Refused (exit 2) on both backends, the value never said."""
    refused = envkeep("set", "TOKEN=", "s3cr3t=", "--env", "dev")

    _one_error(refused, 2, "argument 2 follows the empty TOKEN=", "give TOKEN= last")
    assert "s3cr3t" not in refused.stderr
    assert _names(envkeep) == {}
