"""The per-invocation state the CLI layer hands to commands."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from envkeep.cli.marks import fitted
from envkeep.cli.output import terminal_text
from envkeep.client.context import ClientContext
from envkeep.core.errors import ConfirmationRequired, Declined, UsageError
from envkeep.settings import Settings, load_settings

T = TypeVar("T")


def interactive(settings: Settings) -> bool:
    """Prompts only on a terminal, and never in CI."""
    return sys.stdin.isatty() and not settings.ci


def make_context(
    settings: Settings | None = None,
    *,
    writes: bool = False,
    artifact: bool = False,
    cwd: Path | None = None,
    prompts: bool = True,
) -> ClientContext:
    """A client context for the current directory (or ``cwd``), with a TTY passphrase prompt
    when allowed (never without ``prompts``: a command git runs under its pager). A command
    that ``writes`` reads no kept offline copy: it needs the server anyway. One that builds an
    ``artifact`` from the values (`export`, `activate-all`) reads a copy up to an hour old by
    default, not a day (`client/offline_limit`)."""
    settings = settings or load_settings()
    prompt = getpass.getpass if prompts and interactive(settings) else None
    ctx = ClientContext(settings, cwd or Path.cwd(), prompt, _warn)
    ctx.offline_reads = not writes
    ctx.writes = writes
    ctx.builds_artifact = artifact
    ctx.command = command_words()
    return ctx


# The command this process runs (``service add``), said by `entry` (or `fast`) before it runs.
_command: list[str | None] = [None]


def say_command(words: str | None) -> None:
    """Record the command this process runs, for `make_context` to hand to the server."""
    _command[0] = words


def command_words() -> str | None:
    """The command being run, without the program's name (``service add``); None when none
    was said (a test calling in)."""
    return _command[0]


@dataclass(frozen=True)
class WriteScope:
    """What a command writing one scope starts from: its context, the environment and service
    (None: shared) the flags or the current directory name, and how its messages name them."""

    ctx: ClientContext
    env: str
    service: str | None

    @classmethod
    def of(cls, env: str | None, service: str | None) -> WriteScope:
        ctx = make_context(writes=True)
        return cls(ctx, ctx.default_env(env), ctx.default_service(service))

    @property
    def words(self) -> str:
        """Where the write goes, as the done line says it: ``dev (service api)``, ``dev
        (shared)``."""
        return f"{self.env} ({'shared' if self.service is None else f'service {self.service}'})"


def _warn(message: str) -> None:
    # A warning names what a server chose (a member's name): its escape sequences are shown
    # escaped, as an error's are, never acted on by the terminal.
    sys.stderr.write(fitted(sys.stderr, terminal_text(message)) + "\n")  # marks as it shows them


def confirm(settings: Settings, question: str, *, yes: bool) -> None:
    """Go on with --yes, or after a "yes" on a terminal. A "no" there stops with `Declined`
    (exit 1, no hint: the user chose); without a terminal, a usage error saying --yes."""
    if yes:
        return
    import typer

    if not interactive(settings):
        raise UsageError(
            "not confirmed; nothing changed", hint="pass --yes to go ahead without asking"
        )
    with answered():
        if typer.confirm(question, default=False):
            return
    raise Declined


class Askable(Protocol):
    """A change a command asks about first (a grant that lowers a role, a member's removal,
    a token's revocation): the question, and the refusal off a terminal without --yes."""

    def question(self) -> str: ...

    def refused(self) -> UsageError: ...


def asking(settings: Settings, *, yes: bool) -> Callable[[Askable], None]:
    """What goes on with a change told of (`Askable`): --yes, or a "yes" on a terminal;
    elsewhere its refusal, saying what it would do."""

    def confirmed(change: Askable) -> None:
        if yes:
            return
        if not interactive(settings):
            raise change.refused()
        confirm(settings, change.question(), yes=False)

    return confirmed


@contextmanager
def answered() -> Iterator[None]:
    """Around a prompt: Ctrl-C (or Ctrl-D) there interrupts the command as anywhere else (exit
    130), not as click's "Aborted!" with exit 1."""
    import typer

    try:
        yield
    except typer.Abort:
        raise KeyboardInterrupt from None


def confirming(
    settings: Settings, yes: bool, write: Callable[[bool], T], *, where: str | None = None
) -> T:
    """Run ``write(confirmed)``; a protected environment's refusal becomes a prompt on a
    terminal (then the write runs again, confirmed), or stays an error elsewhere. ``where``
    names the scope in the question (``dev (service api)``)."""
    try:
        return write(yes)
    except ConfirmationRequired as refusal:
        if yes or not interactive(settings):
            raise
        target = "" if where is None else f" to {where}"
        confirm(settings, f"{refusal.message}. Write{target} anyway?", yes=False)
        return write(True)
