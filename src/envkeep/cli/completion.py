"""`envkeep completion show|install`: shell completion for bash, zsh and fish.

The completion itself is Typer's (it answers when `_ENVKEEP_COMPLETE` is set); this module
writes the shell snippet that calls it. Typer keeps these helpers in private modules, so they
are imported here only, and a test fails if an upgrade moves them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import complete_from
from envkeep.core.errors import UsageError
from envkeep.core.files import write_atomic
from envkeep.settings import load_settings

COMPLETE_VAR = "_ENVKEEP_COMPLETE"
SHELLS = ("bash", "zsh", "fish")

completion_app = typer.Typer(help="Shell completion for bash, zsh and fish.", no_args_is_help=True)


def enable_completion() -> None:
    """Register Typer's completion classes (done only when a shell asks for completions)."""
    from typer._completion_classes import completion_init

    completion_init()


def completion_script(shell: str) -> str:
    """The snippet a shell sources to complete envkeep commands."""
    from typer._completion_shared import get_completion_script

    if shell not in SHELLS:
        raise UsageError(f"unsupported shell '{shell}'", hint=f"use one of: {', '.join(SHELLS)}")
    return get_completion_script(prog_name="envkeep", complete_var=COMPLETE_VAR, shell=shell)


def _targets(shell: str, home: Path) -> tuple[Path, Path | None, str]:
    """Where the script goes, which rc file sources it (if any), and the line that does."""
    if shell == "bash":
        script = home / ".bash_completions" / "envkeep.sh"
        return script, home / ".bashrc", f"source '{script}'"
    if shell == "zsh":
        line = "fpath+=~/.zfunc; autoload -Uz compinit; compinit"
        return home / ".zfunc" / "_envkeep", home / ".zshrc", line
    return home / ".config" / "fish" / "completions" / "envkeep.fish", None, ""


def install_completion(shell: str, home: Path) -> Path:
    """Write the completion script and add one line to the shell's rc file if it lacks it."""
    script, rc_file, line = _targets(shell, home)
    write_atomic(script, (completion_script(shell) + "\n").encode(), mode=0o644)
    if rc_file is not None:
        existing = rc_file.read_text(encoding="utf-8") if rc_file.exists() else ""
        if line not in existing:
            with rc_file.open("a", encoding="utf-8") as handle:
                handle.write(f"\n# envkeep completion\n{line}\n")
    return script


def _detect_shell() -> str:
    name = Path(load_settings().shell).name
    if name in SHELLS:
        return name
    raise UsageError("could not tell which shell you use", hint="pass --shell bash|zsh|fish")


ShellOpt = Annotated[
    str | None,
    typer.Option(
        "--shell", help="bash, zsh or fish (default: $SHELL).", autocompletion=complete_from(SHELLS)
    ),
]


@completion_app.command("show")
def show(shell: ShellOpt = None) -> None:
    """Print the completion script (to source it yourself).

    Example: eval "$(envkeep completion show --shell bash)"
    """
    sys.stdout.write(completion_script(shell or _detect_shell()) + "\n")


@completion_app.command("install")
def install(shell: ShellOpt = None) -> None:
    """Install completion for your shell; open a new shell to use it.

    Example: envkeep completion install --shell zsh
    """
    chosen = shell or _detect_shell()
    path = install_completion(chosen, Path.home())
    output.done(f"installed {chosen} completion in {path}; open a new shell to use it")
