"""Writes checked against the schemas of the services that see them (`set`, `import`,
`rollback`, `edit`), and the warnings of `unset` and `service remove` about references they
leave dangling.

They run on the configuration project (config_fixtures: api's schema has PORT a port,
LOG_LEVEL an enum, DATABASE_URL a url, WORKERS an int from 1 to 64; worker's API_URL is
``http://api:${api.PORT}`` in dev). The command under test runs as a real process; the
state before and after is read in this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import (
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    editor_env,
)
from .conftest import quick, quick_ok
from .schema_refusals import assert_refused, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Result

DEV_API = ("--env", "dev", "--service", "api")

# One value each rule refuses (a value is never shown: each is looked for in the output).
REFUSED = {
    "port": ("PORT", "not-a-port-x1", "type"),
    "int": ("WORKERS", "many-workers-x2", "type"),
    "range": ("WORKERS", "65", "range"),
    "url": ("DATABASE_URL", "not-a-url-x3", "type"),
    "enum": ("LOG_LEVEL", "loudest-x4", "enum"),
}

BREAKS_PORT = "PORT", "not-a-port-x1"


def editing(tmp_path: Path, change: str) -> dict[str, str | None]:
    """The environment of an `envkeep edit` whose editor replaces the buffer's ``text`` with
    the Python expression ``change`` of it (``re`` at hand)."""
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, re, sys\n"
        "buffer = pathlib.Path(sys.argv[1])\n"
        "text = buffer.read_text(encoding='utf-8')\n"
        f"buffer.write_text({change}, encoding='utf-8')\n",
        encoding="utf-8",
    )
    return editor_env(editor)


def warnings(result: Result) -> list[str]:
    return [line for line in result.err_lines if line.startswith("warning:")]


def test_set_refuses_each_rule_violation_and_writes_nothing_of_the_batch(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = stored(envkeep, "dev", "api")

    results = envkeep.many(
        *(
            ("set", f"{name}={value}", "EXTRA_DEBUG=2", *DEV_API)
            for name, value, _ in REFUSED.values()
        )
    )

    for (name, value, rule), result in zip(REFUSED.values(), results, strict=True):
        assert_refused(result, "api", name, rule, value)
    assert stored(envkeep, "dev", "api") == before  # EXTRA_DEBUG=2 neither: all or nothing


def test_no_validate_writes_a_value_the_schema_refuses(envkeep: Envkeep, config_tree: Path) -> None:
    name, value = BREAKS_PORT

    written = envkeep("set", f"{name}={value}", *DEV_API, "--no-validate")

    assert written.code == 0, written.describe()
    assert stored(envkeep, "dev", "api")[name] == (value, 2)
    validated = quick(envkeep, "validate", *DEV_API)
    assert validated.code == 3, validated.describe()  # validate still finds it
    # Written, and said: the next run or export refuses it.
    warned = written.err_lines[-1]
    assert warned.startswith("warning: written without validation: refused by the"), warned
    assert "api.PORT (type: expected a port number" in warned
    assert warned.endswith("; run and export refuse it until it is fixed"), warned
    assert "nothing was written" not in warned


def test_a_reference_is_checked_as_it_expands(envkeep: Envkeep, config_tree: Path) -> None:
    quick_ok(envkeep, "set", "HOST_PART=not a host", *DEV_API)  # outside the schema: any text

    refused = envkeep("set", "DATABASE_URL=${HOST_PART}", *DEV_API)
    dangling = envkeep("set", "DATABASE_URL=postgres://${NOT_SET_YET}/db", *DEV_API)

    assert_refused(refused, "api", "DATABASE_URL", "type", "not a host")
    assert dangling.code == 0, dangling.describe()  # unresolved: validate's to report, not set's


def test_a_shared_write_is_checked_for_each_service_that_sees_it(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = stored(envkeep, "dev")

    result = envkeep("set", "WORKERS=65", "FEATURE_Y=on", "--env", "dev")  # api sets no WORKERS

    assert_refused(result, "api", "WORKERS", "range", "=65")
    assert stored(envkeep, "dev") == before


def test_a_service_that_sets_the_name_itself_is_not_blamed(
    envkeep: Envkeep, config_tree: Path
) -> None:
    # api sets LOG_LEVEL (and PORT) itself in dev, so the shared values are not what it sees;
    # in staging it sets no LOG_LEVEL, so there the shared one is.
    dev, staging = envkeep.many(
        ("set", "LOG_LEVEL=loudest-x4", "PORT=not-a-port-x1", "--env", "dev"),
        ("set", "LOG_LEVEL=loudest-x4", "--env", "staging"),
    )

    assert dev.code == 0, dev.describe()
    assert stored(envkeep, "dev")["LOG_LEVEL"] == ("loudest-x4", 2)
    assert_refused(staging, "api", "LOG_LEVEL", "enum", "loudest-x4")
    assert stored(envkeep, "staging")["LOG_LEVEL"] == ("info", 1)


def test_import_is_refused_as_set_is(envkeep: Envkeep, config_tree: Path) -> None:
    name, value = BREAKS_PORT
    source = config_tree / "values.env"
    source.write_text(f"{name}={value}\nIMPORTED=1\n", encoding="utf-8")
    before = stored(envkeep, "dev", "api")
    imports = ("import", str(source), *DEV_API, "--on-conflict", "overwrite")

    refused = envkeep(*imports)
    after_refusal = stored(envkeep, "dev", "api")
    written = envkeep(*imports, "--no-validate")

    assert_refused(refused, "api", name, "type", value)
    assert after_refusal == before
    assert written.code == 0, written.describe()
    assert stored(envkeep, "dev", "api")[name] == (value, 2)


def test_rollback_to_a_value_the_schema_refuses_now_needs_the_flag(
    envkeep: Envkeep, config_tree: Path
) -> None:
    name, value = BREAKS_PORT
    quick_ok(envkeep, "set", f"{name}={value}", *DEV_API, "--no-validate")  # version 2
    quick_ok(envkeep, "set", f"{name}=8081", *DEV_API)  # version 3

    refused = envkeep("rollback", name, "--to", "2", *DEV_API)
    after_refusal = stored(envkeep, "dev", "api")[name]
    written = envkeep("rollback", name, "--to", "2", *DEV_API, "--no-validate")

    assert_refused(refused, "api", name, "type", value)
    assert after_refusal == ("8081", 3)
    assert written.code == 0, written.describe()
    assert stored(envkeep, "dev", "api")[name] == (value, 4)


def test_edit_is_refused_with_the_flag_named_and_the_text_kept(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = editing(tmp_path, "text.replace('PORT=8080', 'PORT=not-a-port-x1')")
    before = stored(envkeep, "dev", "api")

    result = envkeep("edit", *DEV_API, env=editor)

    assert_refused(result, "api", "PORT", "type", "not-a-port-x1")
    assert "your text is kept in" in result.err_lines[1], result.describe()
    assert stored(envkeep, "dev", "api") == before


def test_unset_of_a_value_a_schema_requires_is_refused_and_writes_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = stored(envkeep, "dev", "api")

    own = envkeep("unset", "PORT", "EXTRA_DEBUG", *DEV_API)  # api's PORT: nothing else gives it
    shared = envkeep("unset", "DB_PASSWORD", "--env", "dev")  # api's template has no default

    assert own.code == 3, own.describe()
    assert_one_line_error(own, "api.PORT (missing: required but not set once this is removed)")
    assert own.err_lines[1].startswith("hint: keep it, or remove it anyway with --no-validate")
    assert shared.code == 3, shared.describe()
    assert_one_line_error(shared, "api.DB_PASSWORD (missing: required but not set once")
    assert stored(envkeep, "dev", "api") == before  # EXTRA_DEBUG neither: all or nothing
    assert "DB_PASSWORD" in stored(envkeep, "dev")


def test_unset_of_what_a_schema_does_not_require_goes_ahead(
    envkeep: Envkeep, config_tree: Path
) -> None:
    defaulted = envkeep("unset", "LOG_LEVEL", *DEV_API)  # the shared scope's still applies
    unknown = envkeep("unset", "EXTRA_DEBUG", *DEV_API)  # in no schema

    assert defaulted.code == 0, defaulted.describe()
    assert unknown.code == 0, unknown.describe()
    assert {"LOG_LEVEL", "EXTRA_DEBUG"}.isdisjoint(stored(envkeep, "dev", "api"))


def test_an_edit_that_deletes_a_required_line_is_refused(
    envkeep: Envkeep, config_tree: Path, tmp_path: Path
) -> None:
    editor = editing(tmp_path, "re.sub(r'(?m)^PORT=.*\\n', '', text)")
    before = stored(envkeep, "dev", "api")

    result = envkeep("edit", *DEV_API, env=editor)

    assert result.code == 3, result.describe()
    assert "api.PORT (missing: required but not set" in result.err_lines[0], result.describe()
    assert stored(envkeep, "dev", "api") == before


def test_unset_warns_of_each_reference_it_leaves_dangling(
    envkeep: Envkeep, config_tree: Path
) -> None:
    # Both are required by api's schema: removed anyway, ahead of a schema change.
    by_service = envkeep("unset", "PORT", *DEV_API, "--no-validate")
    shared = envkeep("unset", "DB_PASSWORD", "--env", "dev", "--no-validate")

    assert by_service.code == 0, by_service.describe()
    assert "PORT" not in stored(envkeep, "dev", "api")
    assert warnings(by_service) == [
        (
            "warning: worker.API_URL refers to ${api.PORT}, which is no longer set; export and run"
            " will fail until it is set again"
        )
    ]
    assert shared.code == 0, shared.describe()
    [line] = warnings(shared)
    assert line.startswith("warning: api.DATABASE_URL refers to ${DB_PASSWORD}, which"), line
    failed = quick(envkeep, "export", "--env", "dev", "--service", "worker")
    assert "API_URL -> api.PORT" in failed.stderr, failed.describe()  # as the warning said


def test_unset_does_not_warn_when_a_shared_value_still_provides_the_name(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "BANNER=level ${LOG_LEVEL}", *DEV_API)  # api's own LOG_LEVEL: debug

    result = envkeep("unset", "LOG_LEVEL", *DEV_API)

    assert result.code == 0, result.describe()
    assert warnings(result) == [], result.describe()
    assert quick_ok(envkeep, "get", "BANNER", *DEV_API).stdout == "level info\n"  # shared


def test_service_remove_warns_of_references_into_it(envkeep: Envkeep, config_tree: Path) -> None:
    result = envkeep("service", "remove", "api", "--yes")

    assert result.code == 0, result.describe()
    assert "api" not in quick_ok(envkeep, "service", "list").stdout.split()
    assert warnings(result) == [
        (
            "warning: in dev: worker.API_URL refers to ${api.PORT}, which is no longer set; export"
            " and run will fail until it is set again"
        )
    ]


def test_a_broken_personal_override_file_stops_none_of_the_checked_writes(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """The checks and warnings are about what the team sees: they never read this machine's
    `.envkeep/local.env`, so a typo there blocks no write (`run` and `export` still name it)."""
    (config_tree / ".envkeep" / "local.env").write_text("this is not dotenv\n", encoding="utf-8")

    refused = envkeep("set", f"{BREAKS_PORT[0]}={BREAKS_PORT[1]}", *DEV_API)
    written = envkeep("set", "PORT=8081", *DEV_API)
    unset = envkeep("unset", "PORT", *DEV_API, "--no-validate")  # required: removed anyway

    assert_refused(refused, "api", "PORT", "type", BREAKS_PORT[1])
    assert written.code == 0, written.describe()
    assert unset.code == 0, unset.describe()
    assert len(warnings(unset)) == 1, unset.describe()
    assert "PORT" not in stored(envkeep, "dev", "api")


def test_importing_a_schema_file_is_refused_as_placeholders(
    envkeep: Envkeep, config_tree: Path
) -> None:
    before = stored(envkeep, "dev", "api")
    schema = config_tree / "services" / "api" / ".env.example"
    copied = config_tree / "sample.env.example"
    copied.write_bytes(schema.read_bytes())

    declared = envkeep("import", str(schema), *DEV_API)
    by_name = envkeep("import", str(copied), *DEV_API)

    assert declared.code == by_name.code == 2, declared.describe()
    assert_one_line_error(declared, "is service api's schema: its values are placeholders")
    assert_one_line_error(by_name, "is a schema (.example)")
    assert stored(envkeep, "dev", "api") == before
