"""The entry points: `python -m envkeep` and the console script's `main(argv)`, and every
command's --help (with an example, DESIGN §6)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import typer
import typer.core
import typer.main

from envkeep import __version__
from envkeep.cli.app import NAMES, build_app
from envkeep.cli.command_line import VERSION_ONLY, command_of

from .conftest import Result, run_in_process

if TYPE_CHECKING:
    from .conftest import Envkeep

Main = Callable[..., Result]


@pytest.fixture
def in_process(
    envkeep: Envkeep, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Main:
    """The console script's ``main(argv)`` in this process (fast: no interpreter start)."""

    def run(*args: str) -> Result:
        return run_in_process(envkeep, monkeypatch, capsys, *args)

    return run


def test_python_dash_m_envkeep_prints_the_version(envkeep: Envkeep) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "envkeep", "--version"],
        capture_output=True,
        text=True,
        env=envkeep.environ(),
        check=False,
    )

    assert (done.returncode, done.stdout) == (0, f"envkeep {__version__}\n")


def test_main_version_exits_0(in_process: Main) -> None:
    assert in_process("--version") == Result(0, f"envkeep {__version__}\n", "")


def test_main_outside_a_project_says_envkeep_init(in_process: Main) -> None:
    result = in_process("list")

    assert result.code == 2
    assert "envkeep init" in result.stderr
    assert "Traceback" not in result.stderr


COMMANDS = [
    ("init",), ("service", "add"), ("service", "list"), ("env", "create"), ("env", "list"),
    ("env", "delete"), ("set",), ("get",), ("unset",), ("list",), ("run",), ("export",),
    ("history",), ("rollback",), ("identity", "show"), ("identity", "protect"),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(in_process: Main, command: tuple[str, ...]) -> None:
    result = in_process(*command, "--help")

    assert result.code == 0
    assert f"Usage: envkeep {' '.join(command)}" in result.stdout
    example = " ".join(result.stdout.split()).partition("Example: ")[2]
    assert f"envkeep {' '.join(command)}" in example


def test_top_level_help_lists_the_commands(in_process: Main) -> None:
    result = in_process("--help")

    assert result.code == 0
    for name in ("init", "service", "env", "set", "get", "unset", "list", "run", "export",
                 "history", "rollback", "identity"):  # fmt: skip
        assert f"  {name} " in result.stdout or f"  {name}\n" in result.stdout, name


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["get", "A"], "get"),
        (["--debug", "get", "A"], "get"),
        (["get", "--help"], "get"),
        (["env", "rotate-key", "prod"], "env"),
        (["--help"], None),
        (["--help", "get"], None),  # the top level's help, listing every command
        (["--debug", "--help", "env"], None),
        ([], None),
        (["--version"], VERSION_ONLY),
        (["--debug", "--version"], VERSION_ONLY),
        (["--version", "get"], "get"),
        (["gte"], "gte"),  # no such command: build_app registers all, Typer suggests one
    ],
)
def test_the_command_named_is_the_first_argument_after_the_top_level_options(
    args: list[str], command: str | None
) -> None:
    assert command_of(args) == command


def test_only_the_named_command_is_built_and_every_one_for_anything_else() -> None:
    def names(app: typer.Typer) -> set[str]:
        group = typer.main.get_command(app)
        assert isinstance(group, typer.core.TyperGroup)
        return set(group.commands)

    assert names(build_app("get")) == {"get"}
    assert names(build_app("env")) == {"env"}
    assert names(build_app(None)) == set(NAMES)
    assert names(build_app("gte")) == set(NAMES)


def test_top_level_help_before_a_command_lists_every_command(in_process: Main) -> None:
    shown = in_process("--help", "get")

    assert shown.code == 0
    assert "activate-all" in shown.stdout
    assert "rotate-key" not in shown.stdout  # a sub-command: listed under env
    assert "template" in shown.stdout
