"""`envkeep run`'s warm start (client/runcache.py): a second run of the same command takes the
values its first run resolved and validated, without loading the resolver, for as long as
nothing they came from has changed; any change is seen by the very next run.

Runs on each test's own copy of the configuration project (templates, schemas, references):
api in dev sees ``API_DEV_RESOLVED``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from envkeep.client import runcache, runcache_save
from envkeep.client.context import ClientContext

from .config_fixtures import (
    API_DEV_RESOLVED,
    PRINT_ENV,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    printed_env,
)
from .conftest import local_only, quick_ok, server_only

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from .conftest import Envkeep, Homes, Result

PY = sys.executable
NAMES = (*API_DEV_RESOLVED, "NEW_NAME")
RUN_API = ("run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, *NAMES)
# What the warm start must not load: the resolver, the store's ORM, the CLI framework, and the
# standard modules whose import alone would cost more than the warm start's own work.
COLD_ONLY = (
    "envkeep.core.resolve",
    "envkeep.client.validation",
    "envkeep.settings",
    "sqlalchemy",
    "typer",
    "typing",
    "dataclasses",
    "pathlib",
    "json",
)


def entries(home: Path) -> list[Path]:
    directory = home / "cache" / "run"
    return sorted(directory.iterdir()) if directory.is_dir() else []


def imported(result: Result) -> set[str]:
    """The modules a run started with PYTHONPROFILEIMPORTTIME=1 imported."""
    lines = [line for line in result.err_lines if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def run_traced(envkeep: Envkeep, *args: str) -> Result:
    return envkeep(*args, env={"PYTHONPROFILEIMPORTTIME": "1"})


def api_sees(envkeep: Envkeep) -> dict[str, object]:
    return printed_env(envkeep(*RUN_API))


@pytest.fixture
def local(homes: Homes) -> None:
    local_only(homes, "a team server's reads are audited there and never cached")


@pytest.mark.usefixtures("local")
def test_a_second_run_takes_the_cached_values_without_loading_the_resolver(
    envkeep: Envkeep, config_tree: Path
) -> None:
    args = ("run", "-e", "dev", "-s", "api", "--", "true")  # a child that imports nothing

    cold, warm = run_traced(envkeep, *args), run_traced(envkeep, *args)

    assert "envkeep.core.resolve" in imported(cold)
    assert imported(warm) & set(COLD_ONLY) == set()
    assert "envkeep.client.runcache" in imported(warm)
    assert len(entries(envkeep.home)) == 1


@pytest.mark.usefixtures("local")
def test_a_warm_run_passes_the_same_values_as_the_cold_one(
    envkeep: Envkeep, config_tree: Path
) -> None:
    expected = {**API_DEV_RESOLVED, "NEW_NAME": None}

    assert api_sees(envkeep) == expected
    assert len(entries(envkeep.home)) == 1
    assert api_sees(envkeep) == expected


@pytest.mark.usefixtures("local")
def test_warm_and_cold_runs_print_the_same_and_exit_alike(
    envkeep: Envkeep, config_tree: Path
) -> None:
    args = ("run", "-e", "dev", "-s", "worker", "--", "sh", "-c", 'echo "$API_URL"; exit 3')

    cold, warm = envkeep(*args), envkeep(*args)

    assert (cold.code, cold.stdout, cold.stderr) == (3, "http://api:8080\n", "")
    assert (warm.code, warm.stdout, warm.stderr) == (cold.code, cold.stdout, cold.stderr)
    missing = envkeep("run", "-e", "dev", "-s", "worker", "--", "envkeep-test-no-such-command")
    assert missing.code == 127
    assert missing.err_lines[0] == "error: command not found: envkeep-test-no-such-command"


@pytest.mark.usefixtures("local")
def test_envkeep_debug_shows_the_traceback_of_a_warm_run_too(
    envkeep: Envkeep, config_tree: Path
) -> None:
    args = ("run", "-e", "dev", "-s", "api", "--", "envkeep-test-no-such-command")
    envkeep("run", "-e", "dev", "-s", "api", "--", "true")  # fills the entry

    plain, debug = envkeep(*args), envkeep(*args, env={"ENVKEEP_DEBUG": "1"})

    assert (plain.code, debug.code) == (127, 127)
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr
    assert "_warm_run" in debug.stderr


@pytest.mark.usefixtures("local")
def test_each_command_shape_has_its_own_entry(envkeep: Envkeep, config_tree: Path) -> None:
    for args in (
        ("run", "-e", "dev", "-s", "api", "--", "true"),
        ("run", "-e", "dev", "-s", "worker", "--", "true"),
        ("run", "-e", "prod", "-s", "api", "--", "true"),
        ("run", "--no-validate", "-e", "dev", "-s", "api", "--", "true"),
        ("run", "-e", "dev", "--", "true"),
    ):
        envkeep.ok(*args)
    envkeep.ok("run", "-e", "dev", "-s", "api", "--", "true")  # the same as the first

    assert len(entries(envkeep.home)) == 5
    shared = envkeep.ok("run", "-e", "dev", "--", PY, "-c", PRINT_ENV, "PORT", "DB_HOST")
    assert json.loads(shared.stdout) == {"PORT": None, "DB_HOST": "db.dev.internal"}


@pytest.mark.usefixtures("local")
def test_a_run_without_a_service_has_an_entry_per_directory(
    envkeep: Envkeep, config_tree: Path
) -> None:
    in_api_dir = config_tree / "services" / "api"
    args = ("run", "-e", "dev", "--", PY, "-c", PRINT_ENV, "PORT", "DB_HOST")
    seen = []
    for _ in range(2):  # cold, then warm
        seen.append((envkeep.ok(*args).stdout, envkeep(*args, cwd=in_api_dir).stdout))

    assert seen[0] == seen[1]
    assert json.loads(seen[1][0]) == {"PORT": None, "DB_HOST": "db.dev.internal"}
    assert json.loads(seen[1][1]) == {"PORT": "8080", "DB_HOST": "db.dev.internal"}  # api's
    assert len(entries(envkeep.home)) == 2


def _set_shared(envkeep: Envkeep, root: Path) -> None:
    quick_ok(envkeep, "set", "DB_HOST=db.changed.internal", "--env", "dev")


def _set_in_scope(envkeep: Envkeep, root: Path) -> None:
    quick_ok(envkeep, "set", "NEW_NAME=fresh", "--env", "dev", "-s", "api")


def _unset(envkeep: Envkeep, root: Path) -> None:
    quick_ok(envkeep, "unset", "EXTRA_DEBUG", "--env", "dev", "-s", "api")


def _rollback(envkeep: Envkeep, root: Path) -> None:
    quick_ok(envkeep, "set", "PORT=9000", "--env", "dev", "-s", "api")
    quick_ok(envkeep, "rollback", "PORT", "--env", "dev", "-s", "api", "--to", "1")
    quick_ok(envkeep, "set", "NEW_NAME=after-rollback", "--env", "dev", "-s", "api")


def _local_overrides(envkeep: Envkeep, root: Path) -> None:
    (root / ".envkeep" / "local.env").write_text("NEW_NAME=local\n", encoding="utf-8")


def _template_default(envkeep: Envkeep, root: Path) -> None:
    template = root / ".envkeep" / "templates" / "postgres.env"
    text = template.read_text(encoding="utf-8")
    template.write_text(text + "NEW_NAME=from-template\n", encoding="utf-8")


def _schema_default(envkeep: Envkeep, root: Path) -> None:
    example = root / "services" / "api" / ".env.example"
    text = example.read_text(encoding="utf-8")
    example.write_text(text + "# @default=from-schema\nNEW_NAME=\n", encoding="utf-8")


def _user_template(envkeep: Envkeep, root: Path) -> None:
    # A user-wide template of the same name is shadowed by the project's; a new one used by
    # api is not, and appears only through envkeep.toml.
    (envkeep.home / "templates").mkdir()
    (envkeep.home / "templates" / "extra.env").write_text("NEW_NAME=user\n", encoding="utf-8")
    quick_ok(envkeep, "template", "apply", "extra", "--service", "api")


CHANGES: dict[str, tuple[Callable[[Envkeep, Path], None], dict[str, object]]] = {
    "set shared": (
        _set_shared,
        {
            "DB_HOST": "db.changed.internal",
            "DATABASE_URL": "postgres://app:dev-pass@db.changed.internal/shop",
        },
    ),
    "set in scope": (_set_in_scope, {"NEW_NAME": "fresh"}),
    "unset": (_unset, {"EXTRA_DEBUG": None}),
    "rollback": (_rollback, {"PORT": "8080", "NEW_NAME": "after-rollback"}),
    "local overrides": (_local_overrides, {"NEW_NAME": "local"}),
    "template file": (_template_default, {"NEW_NAME": "from-template"}),
    "schema file": (_schema_default, {"NEW_NAME": "from-schema"}),
    "user template and envkeep.toml": (_user_template, {"NEW_NAME": "user"}),
}


@pytest.mark.usefixtures("local")
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_run_after_a_change_sees_it(envkeep: Envkeep, config_tree: Path, change: str) -> None:
    make, expected = CHANGES[change]
    before = api_sees(envkeep)
    assert api_sees(envkeep) == before  # warm

    make(envkeep, config_tree)

    assert api_sees(envkeep) == {**before, **expected}
    assert api_sees(envkeep) == {**before, **expected}  # warm again, on the new entry


@pytest.mark.usefixtures("local")
def test_a_schema_change_that_breaks_validation_refuses_the_next_run(
    envkeep: Envkeep, config_tree: Path
) -> None:
    envkeep.ok(*RUN_API)
    example = config_tree / "services" / "api" / ".env.example"
    example.write_text(
        example.read_text(encoding="utf-8") + "# @required\nMUST_HAVE=\n", encoding="utf-8"
    )

    refused = envkeep(*RUN_API)

    assert refused.code == 3, refused.describe()
    assert "MUST_HAVE" in refused.stderr


@pytest.mark.usefixtures("local")
def test_a_closer_project_file_is_another_project(envkeep: Envkeep, config_tree: Path) -> None:
    envkeep.ok(*RUN_API)
    inner = config_tree / "services" / "api"
    (inner / "envkeep.toml").write_text('project = "elsewhere"\n', encoding="utf-8")

    result = envkeep("run", "-e", "dev", "-s", "api", "--", "true", cwd=inner)

    assert result.code != 0
    assert "elsewhere" in result.stderr


@pytest.mark.usefixtures("local")
def test_cache_entries_hold_no_name_or_value_in_clear(envkeep: Envkeep, config_tree: Path) -> None:
    envkeep.ok(*RUN_API)
    envkeep.ok("run", "-e", "dev", "-s", "worker", "--", "true")

    data = b"".join(path.read_bytes() for path in entries(envkeep.home))
    assert data
    for text in ("dev-pass", "db.dev.internal", "DB_PASSWORD", "DATABASE_URL", "EXTRA_DEBUG"):
        assert text.encode() not in data
    assert {oct(path.stat().st_mode & 0o777) for path in entries(envkeep.home)} == {"0o600"}


@pytest.mark.usefixtures("local")
def test_a_tampered_entry_is_ignored_and_replaced(envkeep: Envkeep, config_tree: Path) -> None:
    expected = api_sees(envkeep)
    [entry] = entries(envkeep.home)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 1
    entry.write_bytes(bytes(data))

    assert api_sees(envkeep) == expected
    assert entry.read_bytes() != bytes(data)
    assert api_sees(envkeep) == expected


@pytest.mark.usefixtures("local")
def test_an_entry_moved_to_another_command_is_not_opened(
    envkeep: Envkeep, config_tree: Path
) -> None:
    envkeep.ok("run", "-e", "prod", "-s", "api", "--", "true")
    [prod] = entries(envkeep.home)
    dev = api_sees(envkeep)
    dev_entry = next(p for p in entries(envkeep.home) if p != prod)
    dev_entry.write_bytes(prod.read_bytes())  # prod's values filed as dev's

    assert api_sees(envkeep) == dev


@pytest.mark.usefixtures("local")
def test_a_passphrase_protected_identity_is_never_cached(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "identity", "protect", env={"ENVKEEP_PASSPHRASE": "correct horse 1"})
    locked = {"ENVKEEP_PASSPHRASE": "correct horse 1"}

    first = envkeep("run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, "PORT", env=locked)
    second = envkeep("run", "-e", "dev", "-s", "api", "--", "true")

    assert printed_env(first) == {"PORT": "8080"}
    assert entries(envkeep.home) == []
    assert second.code == 4, second.describe()  # still asks for the passphrase


@pytest.mark.usefixtures("local")
def test_protecting_the_identity_retires_its_entries(envkeep: Envkeep, config_tree: Path) -> None:
    envkeep.ok(*RUN_API)
    assert len(entries(envkeep.home)) == 1

    quick_ok(envkeep, "identity", "protect", env={"ENVKEEP_PASSPHRASE": "correct horse 1"})
    result = envkeep(*RUN_API)

    assert result.code == 4, result.describe()


@pytest.mark.usefixtures("local")
def test_run_cache_off_neither_writes_nor_reads_entries(
    envkeep: Envkeep, config_tree: Path
) -> None:
    off = {"ENVKEEP_RUN_CACHE": "off", "PYTHONPROFILEIMPORTTIME": "1"}
    args = ("run", "-e", "dev", "-s", "api", "--", "true")

    envkeep.ok(*args, env=off)
    assert entries(envkeep.home) == []
    envkeep.ok(*args)
    assert len(entries(envkeep.home)) == 1

    assert "envkeep.core.resolve" in imported(envkeep.ok(*args, env=off))


def test_a_team_server_run_is_never_cached(
    homes: Homes, envkeep: Envkeep, config_tree: Path
) -> None:
    server_only(homes, "the embedded store's runs are cached")

    assert api_sees(envkeep) == {**API_DEV_RESOLVED, "NEW_NAME": None}
    assert api_sees(envkeep) == {**API_DEV_RESOLVED, "NEW_NAME": None}
    assert entries(envkeep.home) == []


# -- the cold run's bookkeeping, in this process ---------------------------------------------


def _context(envkeep: Envkeep, root: Path) -> ClientContext:
    return ClientContext(envkeep.settings(), root)


@pytest.mark.usefixtures("local")
@pytest.mark.parametrize("meanwhile", ["store", "local overrides", "schema", "project file"])
def test_no_entry_is_written_when_a_source_changed_during_the_cold_run(
    envkeep: Envkeep, config_tree: Path, meanwhile: str
) -> None:
    ctx = _context(envkeep, config_tree)
    pending = runcache_save.begin(ctx, "dev", "api", validate=True)
    assert pending is not None
    if meanwhile == "store":
        quick_ok(envkeep, "set", "NEW_NAME=meanwhile", "--env", "dev")
    elif meanwhile == "local overrides":
        (config_tree / ".envkeep" / "local.env").write_text("A=1\n", encoding="utf-8")
    elif meanwhile == "schema":
        (config_tree / "services" / "api" / ".env.example").write_text("A=\n", encoding="utf-8")
    else:
        toml = config_tree / "envkeep.toml"
        toml.write_text(toml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    runcache_save.finish(ctx, pending, {"A": "stale"})
    ctx.close()

    assert entries(envkeep.home) == []


@pytest.mark.usefixtures("local")
def test_an_entry_written_with_unchanged_sources_is_read_back(
    envkeep: Envkeep, config_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(envkeep, config_tree)
    pending = runcache_save.begin(ctx, None, "api", validate=False)
    assert pending is not None
    runcache_save.finish(ctx, pending, {"A": "1"})
    ctx.close()
    for key, value in envkeep.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(config_tree / "services")

    assert runcache.warm_values(None, "api", validate=False) == ({"A": "1"}, [])
    assert runcache.warm_values("dev", "api", validate=False) is None
    assert runcache.warm_values(None, "api", validate=True) is None
    monkeypatch.setenv("ENVKEEP_SERVER", "http://127.0.0.1:9")
    assert runcache.warm_values(None, "api", validate=False) is None


# Opens every file a cold `run` reads (an audit hook sees each open), and lists what the cache
# records: the recorded files must include every project or template file that was read.
_OPENED_SCRIPT = """
import json, os, sys
from pathlib import Path
opened = set()
sys.addaudithook(lambda event, args: event == "open" and opened.add(os.fsdecode(args[0])))
from envkeep.client import runcache_save
from envkeep.client.context import ClientContext
from envkeep.client.resolving import resolved_values
from envkeep.settings import load_settings
ctx = ClientContext(load_settings(), Path.cwd())
resolved_values(ctx, "dev", "api", validate=True)
sources = runcache_save.sources(ctx)
print(json.dumps({"opened": sorted(opened), "recorded": [p for p, _ in sources.files]}))
"""


@pytest.mark.usefixtures("local")
def test_the_cache_records_every_file_a_cold_run_reads(envkeep: Envkeep, config_tree: Path) -> None:
    (config_tree / ".envkeep" / "local.env").write_text("NEW_NAME=local\n", encoding="utf-8")
    (envkeep.home / "templates").mkdir()
    (envkeep.home / "templates" / "mine.env").write_text("X=1\n", encoding="utf-8")

    done = subprocess.run(
        [PY, "-c", _OPENED_SCRIPT],
        capture_output=True,
        text=True,
        cwd=config_tree,
        env=envkeep.environ(),
        check=True,
    )
    found = json.loads(done.stdout)

    home = str(envkeep.home)
    not_inputs = (f"{home}/store/", f"{home}/cache/", f"{home}/identity.key")
    read = {
        path
        for path in found["opened"]
        if path.startswith((str(config_tree), home)) and not path.startswith(not_inputs)
    }
    assert read, found
    assert read <= set(found["recorded"])
    assert f"{home}/templates/mine.env" in found["recorded"]


def test_the_warm_start_finds_the_files_where_settings_put_them(tmp_path: Path) -> None:
    from envkeep.environ import home_directory
    from envkeep.settings import load_settings

    for environ in (
        {"ENVKEEP_HOME": str(tmp_path / "h")},
        {"XDG_CONFIG_HOME": str(tmp_path / "x")},
        {"HOME": str(tmp_path)},
        {"HOME": str(tmp_path), "XDG_CONFIG_HOME": "relative/x"},
    ):
        settings = load_settings(environ)
        home = home_directory(environ)
        assert home == str(settings.home)
        assert runcache.database_path(home) == str(settings.database_path)
    assert runcache.nearest_project_file(str(tmp_path)) is None
    (tmp_path / "envkeep.toml").write_text('project = "p"\n', encoding="utf-8")
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert runcache.nearest_project_file(str(tmp_path / "a" / "b")) == str(
        tmp_path / "envkeep.toml"
    )


@pytest.mark.usefixtures("local")
def test_a_cold_run_keeps_only_the_entries_written_last(
    envkeep: Envkeep, config_tree: Path
) -> None:
    directory = envkeep.home / "cache" / "run"
    directory.mkdir(parents=True)
    old = [directory / f"{index:016x}.bin" for index in range(runcache_save.KEPT_ENTRIES + 5)]
    for age, path in enumerate(old):  # the first is the newest of them, all a day old or more
        path.write_bytes(b"from other directories")
        os.utime(path, (time.time() - 86400 - age, time.time() - 86400 - age))
    dead = directory / "feedfeedfeedfeed.bin.123.tmp"  # a write that died two hours ago
    dead.write_bytes(b"half")
    os.utime(dead, (time.time() - 7200, time.time() - 7200))

    envkeep.ok("run", "-e", "dev", "-s", "api", "--", "true")

    kept = entries(envkeep.home)
    assert len(kept) == runcache_save.KEPT_ENTRIES
    assert set(old[: runcache_save.KEPT_ENTRIES - 1]) < set(kept)  # the newest, and the run's
    assert not dead.exists()
    warm = envkeep.ok("run", "-e", "dev", "-s", "api", "--", PY, "-c", PRINT_ENV, "PORT")
    assert json.loads(warm.stdout) == {"PORT": API_DEV_RESOLVED["PORT"]}


def test_pruning_leaves_a_temp_file_a_write_may_still_rename(tmp_path: Path) -> None:
    fresh = tmp_path / "0123456789abcdef.bin.99.tmp"
    fresh.write_bytes(b"being written")
    runcache_save.prune(tmp_path, keep=0)
    assert fresh.exists()


def test_a_run_outside_the_default_environment_names_the_personal_overrides_it_gets(
    envkeep: Envkeep, config_tree: Path
) -> None:
    (config_tree / ".envkeep" / "local.env").write_text("LOG_LEVEL=trace\n", encoding="utf-8")
    show = ("--no-validate", "-s", "api", "--", "sh", "-c", 'echo "$LOG_LEVEL"')
    note = (
        "note: staging gets 1 value from .envkeep/local.env, your personal overrides: LOG_LEVEL\n"
    )

    daily = envkeep("run", "-e", "dev", *show)
    cold, warm = envkeep("run", "-e", "staging", *show), envkeep("run", "-e", "staging", *show)

    assert (daily.code, daily.stdout, daily.stderr) == (0, "trace\n", "")
    assert (cold.code, cold.stdout, cold.stderr) == (0, "trace\n", note), cold.describe()
    assert (warm.code, warm.stdout, warm.stderr) == (0, "trace\n", note), warm.describe()
