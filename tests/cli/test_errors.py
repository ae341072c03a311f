"""Errors: one line naming what exists, a hint saying what to do, the exit code of DESIGN §6,
and no traceback unless --debug (or ENVKEEP_DEBUG=1).

The failing commands only read, so they share one module-wide copy of the ``seeded`` project
(dev: DATABASE_URL, LOG_LEVEL, PORT shared; PORT for api). The matrix runs the console
script's ``main`` in-process (fast); `run`, the --debug cases and one of each kind run as real
processes, started at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .conftest import Envkeep, Result, Template, collect, copy_of, local_only, run_in_process

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Homes

ENVS = ("dev", "staging", "prod")
SERVICES = ("api", "worker")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int
    message: tuple[str, ...]  # all in the "error:" line
    hint: tuple[str, ...] = ()  # all in the "hint:" line
    outside: bool = False  # run outside any project


def unknown_env(*args: str) -> Case:
    return Case(args, 1, ("'nope'", *ENVS), ("envkeep env create nope",))


def unknown_service(*args: str) -> Case:
    return Case(args, 1, ("'billing'", *SERVICES), ("envkeep service add billing",))


def unknown_variable(*args: str) -> Case:
    # Close names only: the scope's whole list would end up in CI logs.
    return Case(args, 1, ("'NOPE'",), ("envkeep set NOPE=",))


def outside(*args: str) -> Case:
    return Case(args, 2, ("envkeep.toml",), ("envkeep init",), outside=True)


CASES = {
    "get-unknown-env": unknown_env("get", "PORT", "--env", "nope"),
    "set-unknown-env": unknown_env("set", "A=1", "--env", "nope"),
    "list-unknown-env": unknown_env("list", "--env", "nope"),
    "get-unknown-service": unknown_service("get", "PORT", "--env", "dev", "-s", "billing"),
    "set-unknown-service": unknown_service("set", "A=1", "--env", "dev", "-s", "billing"),
    "export-unknown-service": unknown_service("export", "--env", "dev", "-s", "billing"),
    "get-unknown-variable": unknown_variable("get", "NOPE", "--env", "dev"),
    "get-misspelt-variable": Case(
        ("get", "LOG_LEVL", "--env", "dev"), 1, ("'LOG_LEVL'", "did you mean LOG_LEVEL?"), ()
    ),
    "unset-unknown-variable": Case(  # never told to set what it meant to remove
        ("unset", "NOPE", "--env", "dev"), 1, ("'NOPE'",), ("nothing to unset", "envkeep list")
    ),
    "history-unknown-variable": unknown_variable("history", "NOPE", "--env", "dev"),
    "rollback-unknown-variable": unknown_variable("rollback", "NOPE", "--env", "dev", "--to", "1"),
    "get-unknown-service-variable": Case(
        ("get", "NOPE", "--env", "dev", "--service", "api"),
        1,
        ("'NOPE'", "api"),
        ("envkeep set NOPE=", "--service api"),
    ),
    "rollback-unknown-version": Case(
        ("rollback", "DATABASE_URL", "--env", "dev", "--to", "99"),
        1,
        ("DATABASE_URL", "99", "versions 1"),
        ("envkeep history DATABASE_URL",),
    ),
    "set-pair-without-equals": Case(("set", "FOO", "BAR=1", "--env", "dev"), 2, ("'FOO'", "'='")),
    "set-name-with-empty-stdin": Case(("set", "FOO", "--env", "dev"), 2, ("'FOO'", "stdin")),
    "set-name-starting-with-digit": Case(("set", "1BAD=x", "--env", "dev"), 2, ("'1BAD'",)),
    "set-name-with-space": Case(("set", "GOOD=1", "bad name=2"), 2, ("'bad name'",)),
    "get-outside-project": outside("get", "PORT"),
    "set-outside-project": outside("set", "A=1"),
    "list-outside-project": outside("list"),
    "history-outside-project": outside("history", "PORT"),
    "service-add-outside-project": outside("service", "add", "api"),
}

# Real processes: every `run` case (the fast path has its own error handling), and one case
# of each other kind to show the console script behaves as `main` does.
PROCESS_CASES = {
    "run-unknown-env": unknown_env("run", "--env", "nope", "--", "true"),
    "run-unknown-service": unknown_service("run", "-e", "dev", "-s", "billing", "--", "true"),
    "run-outside-project": outside("run", "--", "true"),
    "get-unknown-env": CASES["get-unknown-env"],
    "unset-unknown-variable": CASES["unset-unknown-variable"],
    "set-name-with-space": CASES["set-name-with-space"],
    "list-outside-project": CASES["list-outside-project"],
}
DEBUG = {"ENVKEEP_DEBUG": "1"}
DEBUG_CASES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "--debug get": (("--debug", "get", "NOPE", "--env", "dev"), {}),
    "--debug run": (("--debug", "run", "--env", "nope", "--", "true"), {}),
    "ENVKEEP_DEBUG get": (("get", "NOPE", "--env", "dev"), DEBUG),
    "ENVKEEP_DEBUG run": (("run", "--env", "nope", "--", "true"), DEBUG),
}


@dataclass(frozen=True)
class Shared:
    envkeep: Envkeep
    elsewhere: Path  # a directory outside any project


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, seeded_template: Template) -> Shared:
    root = tmp_path_factory.mktemp("errors")
    (root / "elsewhere").mkdir()
    return Shared(copy_of(seeded_template, root), root / "elsewhere")


@pytest.fixture(scope="module")
def processes(shared: Shared) -> dict[str, Result]:
    """Every real-process case, started at once."""
    started = {
        key: shared.envkeep.popen(*case.args, cwd=shared.elsewhere if case.outside else None)
        for key, case in PROCESS_CASES.items()
    }
    started |= {
        key: shared.envkeep.popen(*args, env=env) for key, (args, env) in DEBUG_CASES.items()
    }
    return collect(started)


def check(case: Case, result: Result) -> None:
    assert result.code == case.code, result.describe()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.err_lines
    assert 1 <= len(lines) <= 2, result.describe()
    assert lines[0].startswith("error: ")
    for text in case.message:
        assert text in lines[0], result.describe()
    for text in case.hint:
        assert lines[1].startswith("hint: ")
        assert text in lines[1], result.describe()


@pytest.mark.parametrize("key", list(CASES))
def test_error_is_one_line_with_hint_and_exit_code(
    shared: Shared,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    key: str,
) -> None:
    case = CASES[key]
    cwd = shared.elsewhere if case.outside else None

    result = run_in_process(shared.envkeep, monkeypatch, capsys, *case.args, cwd=cwd)

    check(case, result)


@pytest.mark.parametrize("key", list(PROCESS_CASES))
def test_error_from_the_console_script_is_one_line_with_hint_and_exit_code(
    processes: dict[str, Result], key: str
) -> None:
    check(PROCESS_CASES[key], processes[key])


@pytest.mark.parametrize("key", ["--debug get", "--debug run"])
def test_debug_flag_shows_the_traceback(processes: dict[str, Result], key: str) -> None:
    result = processes[key]

    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.err_lines[-2].startswith("error: ")


@pytest.mark.parametrize("key", ["ENVKEEP_DEBUG get", "ENVKEEP_DEBUG run"])
def test_envkeep_debug_variable_shows_the_traceback(processes: dict[str, Result], key: str) -> None:
    result = processes[key]

    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr, result.describe()


# -- a store that is not a database -----------------------------------------------------


@pytest.fixture
def corrupt(envkeep: Envkeep, project: Path, homes: Homes) -> Envkeep:
    local_only(
        homes,
        "a client of a team server keeps no database to damage (the server's own failures "
        "are the API tests' concern)",
    )
    database = envkeep.settings().database_path
    database.write_bytes(b"this is not an SQLite database, just text\n" * 200)
    return envkeep


def test_a_corrupt_database_is_a_store_error_naming_the_file(corrupt: Envkeep) -> None:
    got = corrupt("get", "PORT", "--env", "dev")

    assert got.code == 1
    assert "Traceback" not in got.stderr
    assert "bug in envkeep" not in got.stderr, got.describe()
    assert "envkeep.db" in got.stderr


def test_run_reports_an_unexpected_failure_in_one_line_without_traceback(
    corrupt: Envkeep,
) -> None:
    result = corrupt("run", "--env", "dev", "--", "true")

    assert result.code == 1
    assert "Traceback" not in result.stderr, result.describe()
    assert result.err_lines[0].startswith("error: ")
