"""`envkeep merge-file` (git's merge driver for encrypted .env files) and `envkeep git-setup`
(which makes git use it)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.file_passphrase import passphrase_source
from envkeep.cli.state import make_context
from envkeep.client import filemerge, merge_driver


def merge_file(
    base: Annotated[Path, typer.Argument(help="The common ancestor's version (git's %O).")],
    ours: Annotated[Path, typer.Argument(help="Our version, replaced by the merge (%A).")],
    theirs: Annotated[Path, typer.Argument(help="Their version (%B).")],
    name: Annotated[
        str | None, typer.Argument(help="The file's path in the repository (%P).")
    ] = None,
) -> None:
    """Merge two edits of an encrypted .env file value by value, as git's merge driver.

    Exits 0 with the merge encrypted into OURS, or 1 naming the variables both sides changed
    differently (OURS left as it was). Nothing decrypted is written to disk. Set up by
    envkeep git-setup.

    Example: envkeep merge-file base.env.enc .env.enc theirs.env.enc .env.enc
    """
    shown = name or str(ours)
    where = (Path.cwd() / shown).parent
    ctx = make_context(cwd=where if where.is_dir() else None)
    passphrase = passphrase_source(ctx.settings, confirm=False)
    rebasing = merge_driver.rebasing(Path.cwd() / shown)
    sides = filemerge.REBASE_SIDES if rebasing else filemerge.MERGE_SIDES
    merged = filemerge.merge_encrypted_files(
        ctx, base, ours, theirs, name=shown, passphrase=passphrase, sides=sides
    )
    key = f"environment '{merged.environment}'" if merged.environment else "its passphrase"
    output.done(f"merged {shown} value by value (encrypted to {key})")


def git_setup(
    patterns: Annotated[
        list[str] | None,
        typer.Argument(
            help="The files to merge with envkeep, as .gitattributes patterns"
            f" (default: {' '.join(merge_driver.DEFAULT_PATTERNS)})."
        ),
    ] = None,
) -> None:
    """Make git merge encrypted .env files value by value (with envkeep merge-file).

    Adds PATTERN merge=envkeep -text lines to .gitattributes (commit it; -text: git keeps the
    line endings, which the file's mac covers, even with core.autocrlf) and sets the driver in
    this clone's git config (each clone runs this once: git never takes it from a repository).

    Example: envkeep git-setup
    """
    wanted = tuple(patterns or merge_driver.DEFAULT_PATTERNS)
    done = merge_driver.set_up_merge_driver(Path.cwd(), wanted, _command())
    if done.added:
        output.done(f"added to {done.attributes}: {', '.join(done.added)} merge=envkeep -text")
    if done.marked:
        output.done(
            f"marked {', '.join(done.marked)} -text in {done.attributes}: git must not change"
            " an encrypted file's line endings (core.autocrlf), which its mac covers"
        )
    if done.present:
        output.done(f"{done.attributes} routes {', '.join(done.present)} to envkeep already")
    if done.driver_set:
        output.done(f"set in this clone's git config: merge.envkeep.driver = {done.driver}")
    else:
        output.done(f"this clone's git config has merge.envkeep.driver = {done.driver} already")
    if not done.changed:
        output.done("everything was set up already; nothing changed")
    if done.wrote_attributes:
        output.done("hint: commit .gitattributes; each clone runs envkeep git-setup once")
    elif done.uncommitted:
        output.done("hint: .gitattributes has changes not committed yet: commit it")


def _command() -> str:
    """How git should start envkeep: by the path of the one running, so that a merge run
    where PATH does not find it (a GUI, an IDE, a shell without the venv) still reaches it; a
    driver git cannot start leaves our side of the file, unmerged, for `git add` to take. The
    path as invoked, not resolved: a package manager's stable link outlives an upgrade, the
    versioned folder it points into does not. Run otherwise (``python -m envkeep``), this
    Python with ``-m envkeep``."""
    running = Path(sys.argv[0]).absolute()
    if running.is_file() and os.access(running, os.X_OK) and running.name == "envkeep":
        return shlex.quote(str(running))
    return shlex.join([sys.executable, "-m", "envkeep"])
