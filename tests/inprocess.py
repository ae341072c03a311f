"""`envkeep` run in the test process: the console script's ``main`` with a given environment
and directory, about ten times faster than a new process (no interpreter start, no imports).
For setting state up and reading it back; the behaviour a test is about runs as a real
process. Never `run`: it would exec."""

from __future__ import annotations

import contextlib
import functools
import io
import os
from typing import TYPE_CHECKING, Any

import pytest
import typer.main

from envkeep.cli import app as cli_app
from envkeep.cli import output as cli_output
from envkeep.cli import state as cli_state
from envkeep.cli.entry import main
from envkeep.client.context import ClientContext

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

# Typer builds the click command tree from the app on every call: half of an in-process
# command's time. The tree does not change, so in-process runs build it once: the app once
# per command name too, since `main` builds a new one each time, and a tree cached by a new
# app each command was never found again (every tree and app kept until the worker ended).
_app_for = functools.cache(cli_app.build_app)
_click_command = functools.cache(typer.main.get_command)


@contextlib.contextmanager
def in_process_cli(patch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the CLI's ``main`` in this process: its app and click command built once per
    command name, every ClientContext the command makes closed when the block ends, and
    nothing a process decides once for its life (`_forget_process_choices`) kept from one
    command to the next.

    A command never closes its context (src/envkeep/cli/state.py: make_context): a process
    that exits drops its connections with it, but ``main`` run in this process would leave an
    HTTP connection to the team server open per command (a ResourceWarning, an error here).
    """
    opened: list[ClientContext] = []

    def make(*args: Any, **kwargs: Any) -> ClientContext:
        context = ClientContext(*args, **kwargs)
        opened.append(context)
        return context

    patch.setattr(cli_app, "build_app", _app_for)
    patch.setattr(typer.main, "get_command", _click_command)
    patch.setattr(cli_state, "ClientContext", make)
    _forget_process_choices()
    try:
        yield
    finally:
        patch.setattr(cli_state, "ClientContext", ClientContext)
        for context in opened:
            context.close()
        _forget_process_choices()


def _forget_process_choices() -> None:
    """What a CLI process decides once, for its life: NO_COLOR and Rich's console
    (cli/output.py), the command it runs (cli/state.py, sent to the server by every context
    made later). Each in-process command has an environment of its own, and a test calling
    in afterwards runs no command: the first command's colour choice held for every later
    one in the worker, and a context a test made sent the last command's words."""
    cli_output._no_color.cache_clear()
    cli_output._console.cache_clear()
    cli_state.say_command(None)


def run_main(args: tuple[str, ...], environ: Mapping[str, str], cwd: Path) -> tuple[int, str, str]:
    """``envkeep ARGS`` in this process with exactly ``environ`` as its environment, in
    ``cwd``: (exit code, stdout, stderr)."""
    assert "run" not in args[:2], "`envkeep run` replaces the process that runs it"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key in set(os.environ) - set(environ):
            patch.delenv(key)
        for key, value in environ.items():
            patch.setenv(key, value)
        patch.chdir(cwd)
        with (
            in_process_cli(patch),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                main(list(args))
            except SystemExit as done:
                code = done.code
            else:  # pragma: no cover - main always exits
                code = 0
    exit_code = code if isinstance(code, int) else 0 if code is None else 1
    return exit_code, out.getvalue(), err.getvalue()
