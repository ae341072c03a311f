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
from envkeep.client import diff_driver, filemerge, merge_driver


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
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Also show them decrypted in git diff, log -p and show, in this clone"
            " (never cached).",
        ),
    ] = False,
) -> None:
    """Make git merge encrypted .env files value by value (with envkeep merge-file).

    Adds PATTERN merge=envkeep -text lines to .gitattributes (commit it; -text: git keeps the
    line endings, which the file's mac covers, even with core.autocrlf) and sets the driver in
    this clone's git config (each clone runs this once: git never takes it from a repository).
    A tracked envkeep-encrypted file no pattern covers (one encrypted in place, as
    .env.production) gets a line of its own: /services/api/.env.production merge=envkeep -text.

    With --diff, the lines say diff=envkeep too and this clone's config sets
    diff.envkeep.textconv to envkeep textconv: git diff, log -p and show print the names and
    plain values of each version (in your terminal: a clone without it sees ciphertext), and
    diff.envkeep.cachetextconv is set to false, since git would store the plain text in .git.

    Example: envkeep git-setup

    Example: envkeep git-setup --diff
    """
    wanted = tuple(patterns or merge_driver.DEFAULT_PATTERNS)
    done = merge_driver.set_up_merge_driver(Path.cwd(), wanted, _command(), diff=diff)
    shown = diff_driver.set_up_diff_driver(Path.cwd(), _command()) if diff else None
    for line in _setup_lines(done, shown):
        output.done(line)


def _setup_lines(done: merge_driver.GitSetup, diff: diff_driver.DiffSetup | None) -> list[str]:
    """What `git-setup` says it did: a hint to commit only when it wrote .gitattributes."""
    where, lines = done.attributes, []
    words = "merge=envkeep -text" + (" diff=envkeep" if diff else "")
    if done.added:
        lines.append(f"added to {where}: {', '.join(done.added)} {words}")
    if done.found:
        lines.append(
            f"added to {where} for the tracked envkeep-encrypted files no pattern covers:"
            f" {', '.join(done.found)} {words}"
        )
    if done.unquotable:
        lines.append(
            f"not added: {', '.join(done.unquotable)}, tracked and envkeep-encrypted, has a"
            f" name a {where.name} line cannot hold as it is: add a pattern that matches it"
            f" ({words}) by hand"
        )
    if done.marked:
        lines.append(
            f"marked {', '.join(done.marked)} -text in {where}: git must not change"
            " an encrypted file's line endings (core.autocrlf), which its mac covers"
        )
    if done.diffed:
        lines.append(f"marked {', '.join(done.diffed)} diff=envkeep in {where}")
    if done.present:
        lines.append(f"{where} routes {', '.join(done.present)} to envkeep already")
    lines.append(_config_line("merge.envkeep.driver", done.driver, set_now=done.driver_set))
    if diff is not None:
        lines.append(_config_line("diff.envkeep.textconv", diff.textconv, set_now=diff.set_now))
        if diff.cache_was_on:
            lines.append(
                f"turned {diff_driver.CACHE_KEY} off in this clone's git config: git would"
                " store the decrypted files in .git (refs/notes/textconv)"
            )
    if not done.changed and not (diff and (diff.set_now or diff.cache_was_on)):
        lines.append("everything was set up already; nothing changed")
    if done.wrote_attributes:
        lines.append("hint: commit .gitattributes; each clone runs envkeep git-setup once")
    elif done.uncommitted:
        lines.append("hint: .gitattributes has changes not committed yet: commit it")
    if diff is not None and diff.unseen_project is not None:
        project, found = diff.unseen_project
        lines.append(
            f"hint: git runs envkeep textconv in the repository's top directory, where {found}"
            f" is not found: run git diff and log -p with ENVKEEP_PROJECT={project}"
        )
    return lines


def _config_line(key: str, value: str, *, set_now: bool) -> str:
    if set_now:
        return f"set in this clone's git config: {key} = {value}"
    return f"this clone's git config has {key} = {value} already"


def textconv(
    file: Annotated[Path, typer.Argument(help="A version of an encrypted .env file.")],
) -> None:
    """Print an encrypted .env file decrypted, for git diff (set up by git-setup --diff).

    The first line names the key the version is under. Never fails, so that git log -p goes
    on: a version that does not open (a key you were never given, no ENVKEEP_FILE_PASSPHRASE
    for a passphrase file, no ENVKEEP_PASSPHRASE for a protected identity: it never prompts, a
    damaged file) is printed as it is, under a line saying why; so is
    every version while diff.envkeep.cachetextconv is on (git would store the plain text).

    Example: git log -p .env.enc (after envkeep git-setup --diff)
    """
    # No prompt, for the identity's passphrase either: git runs this under its pager, which
    # reads the same terminal, and once for each version `git log -p` shows.
    ctx = make_context(prompts=False)
    given = ctx.settings.file_passphrase
    text = diff_driver.textconv(ctx, file, (lambda: given) if given else None)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


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
