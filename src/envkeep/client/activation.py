"""`envkeep activate-all`: every service's resolved, validated `.env`, written into its path.

All or nothing: every file is planned first; a service that fails validation (its plan
`invalid`, with the problems found), or a `.env` that
envkeep did not write (no header) or that was edited since (its checksum no longer matches)
without `--force`, stops the whole run before anything is written. Files are then written as
temp files beside their targets and renamed into place (mode 0600); a replaced foreign or
edited file is kept as `.env.bak` (or `.env.bak.1`, `.env.bak.2`, … when an older backup is
there: none is overwritten).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from dataclasses import dataclass, field, replace
from itertools import count
from typing import TYPE_CHECKING

from envkeep.client.git_exposure import Exposed, files_exposed_to_git
from envkeep.client.reading import read_environment
from envkeep.client.resolution import CHECKOUT_ADVICE, arrange, resolve_each
from envkeep.client.unresolved_hint import UNRESOLVED
from envkeep.client.validation import Checked, check_resolution, refuse_on_errors
from envkeep.core.dotenv import parse_dotenv, render_dotenv
from envkeep.core.errors import ParseError, UsageError, ValidationFailed
from envkeep.core.projectfile import FILENAME

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.core.resolve import Resolution
    from envkeep.core.validate import Finding

MARKER = "Written by envkeep activate-all"
# The header's last line: the SHA-256 of everything below it, so that a hand edit is noticed.
CHECKSUM = "Checksum of the lines below: sha256:"


@dataclass(frozen=True)
class FilePlan:
    """What activation does to one service's .env."""

    service: str
    path: Path
    # create, update, unchanged; reformat: the same names and values, written otherwise (their
    # order or quoting, from an older envkeep); replace/blocked: a foreign or edited file
    # with/without --force; invalid: the service's values failed validation (``problems``)
    action: str
    text: str = field(repr=False)
    # What the file holds (or would hold), by name: the resolved values ``text`` was rendered
    # from, kept rather than parsed back from it (150 services of 3,000 variables each parsed
    # their own new text three times: most of activate-all's time).
    values: Mapping[str, str] = field(repr=False)
    backup: Path | None = None  # where a replaced foreign or edited file is kept
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    edited: bool = False  # replace/blocked: envkeep wrote the file, and it was edited since
    # What stops the run for this service: its validation errors (with --no-validate, its
    # references that do not resolve), never a value; and the check that found them.
    problems: tuple[Finding, ...] = ()
    check: Checked | None = field(default=None, repr=False, compare=False)

    @property
    def count(self) -> int:
        return len(self.values)


def render_env_file(env: str, service: str, values: dict[str, str]) -> str:
    """A service's .env, with the header that marks it as envkeep's and checksums the rest.

    Names are sorted (as `export` lists them): the same values give the same file, and the same
    checksum, from either store, whatever order they were written in."""
    body = render_dotenv(dict(sorted(values.items())))
    header = (
        f"{MARKER} (env: {env}, service: {service}).\n"
        "Do not edit: change the store (envkeep set), then activate again.\n"
        f"{CHECKSUM}{_digest(body)}"
    )
    return render_dotenv({}, header=header) + body


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8", errors="surrogatepass")).hexdigest()


def is_ours(text: str) -> bool:
    """Whether a .env starts with envkeep's header."""
    return text.lstrip("\ufeff").startswith(f"# {MARKER}")


def was_edited(text: str) -> bool:
    """Whether a .env envkeep wrote was changed since: what follows its checksum line no longer
    matches it. A header without the line (an older envkeep's) cannot tell: not edited."""
    marker = f"\n# {CHECKSUM}"
    start = text.find(marker)
    if start < 0:
        return False
    line_end = text.find("\n", start + 1)
    recorded = text[start + len(marker) : len(text) if line_end < 0 else line_end]
    body = "" if line_end < 0 else text[line_end + 1 :]
    return recorded != _digest(body)


def _plan_file(
    service: str, path: Path, values: Mapping[str, str], text: str, *, force: bool
) -> FilePlan:
    """What activation does to ``path``, to give it ``text``, rendered from ``values``."""
    if not path.exists():
        return FilePlan(service, path, "create", text, values, added=tuple(values))
    old_text = path.read_text(encoding="utf-8", errors="surrogateescape")
    ours = is_ours(old_text)
    edited = ours and was_edited(old_text)
    if not ours or edited:
        if not force:
            return FilePlan(service, path, "blocked", text, values, edited=edited)
        backup = _free_backup(path)
        return FilePlan(service, path, "replace", text, values, backup=backup, edited=edited)
    if old_text == text:
        return FilePlan(service, path, "unchanged", text, values)
    try:
        old = parse_dotenv(old_text).values
    except ParseError:
        old = {}
    if old == values:
        return FilePlan(service, path, "reformat", text, values)
    return FilePlan(
        service,
        path,
        "update",
        text,
        values,
        added=tuple(n for n in values if n not in old),
        removed=tuple(n for n in old if n not in values),
        changed=tuple(n for n in values if n in old and old[n] != values[n]),
    )


def _free_backup(path: Path) -> Path:
    """``.env.bak`` beside ``path``, or the first ``.env.bak.N`` not taken (a dangling link
    counts as taken: copying onto it would write where it points)."""
    candidates = (path.with_name(f"{path.name}.bak{f'.{n}' if n else ''}") for n in count())
    return next(c for c in candidates if not c.exists() and not c.is_symlink())


@dataclass(frozen=True)
class Skipped:
    """The services of envkeep.toml that get no .env: those without a path, and those the
    store does not know (declared in envkeep.toml, never added)."""

    no_path: tuple[str, ...] = ()
    not_stored: tuple[str, ...] = ()


def refuse_without_checkout(ctx: ClientContext) -> None:
    """Refuse where no envkeep.toml names the services' directories: there is nowhere to
    write, and "wrote 0 of 0 .env files" (exit 0) would pass a deploy job that forgot its
    checkout. Called before the store is read."""
    if not ctx.has_checkout:
        raise UsageError(
            f"activate-all needs the project's checkout: each service's .env goes into the"
            f" directory {FILENAME} gives it, and there is no {FILENAME} in {ctx.cwd} or its"
            " parents",
            hint=f"run it in the checkout ({CHECKOUT_ADVICE}), or write one service's values"
            " with: envkeep export --service NAME -o FILE",
        )


def plan_activation(
    ctx: ClientContext, env: str, *, force: bool = False, validate: bool = True
) -> tuple[list[FilePlan], Skipped]:
    """Plans for every service with a path, and the services skipped."""
    refuse_without_checkout(ctx)
    project = ctx.project_file
    layers = arrange(ctx, read_environment(ctx, env))
    with_path = [s for s in project.services if s.path is not None and s.name in layers.by_service]
    for service in with_path:
        _require_inside(project.root, service.name, service.path or ".")
    _refuse_shared_directories(project.root, [(s.name, s.path or ".") for s in with_path])
    skipped = Skipped(
        no_path=tuple(s.name for s in project.services if s.path is None),
        not_stored=tuple(
            s.name
            for s in project.services
            if s.path is not None and s.name not in layers.by_service
        ),
    )
    resolutions: dict[str, Resolution] = {}
    checks: dict[str, Checked] = {}
    for name, found in resolve_each(layers, [s.name for s in with_path]):  # checked as they come
        resolutions[name] = found
        checks[name] = check_resolution(ctx, layers, name, found)
    plans = []
    for s in with_path:
        values = dict(sorted(resolutions[s.name].values.items()))  # as the file lists them
        text = render_env_file(env, s.name, values)
        path = project.root / (s.path or ".") / ".env"
        plan = _plan_file(s.name, path, values, text, force=force)
        plans.append(_checked_plan(plan, checks[s.name], validate=validate))
    return plans, skipped


def _checked_plan(plan: FilePlan, check: Checked, *, validate: bool) -> FilePlan:
    """``plan`` with what its service's check found: `invalid` when that stops the run."""
    errors = check.errors if validate else [e for e in check.errors if e.rule == UNRESOLVED]
    action = "invalid" if errors else plan.action
    return replace(plan, action=action, problems=tuple(errors), check=check)


def refuse_invalid(plans: list[FilePlan], env: str, *, validate: bool = True) -> None:
    """Stop on the services that failed validation, in `validate`'s words (exit 3); with
    --no-validate, on a reference that does not resolve."""
    checks = [p.check for p in plans if p.check is not None]
    if validate:
        refuse_on_errors(checks, env)
    for check in checks:
        check.raise_unresolved()


def _require_inside(root: Path, service: str, path: str) -> None:
    """Refuse a service whose directory, .env or .env.bak is not inside the project (``..``,
    an absolute path, a link leading out): its .env holds secrets, and --force copies the old
    one to .env.bak. Checked for every service before any is written."""
    base = root.resolve()
    directory = root / path
    targets = (directory, directory / ".env", directory / ".env.bak")  # links followed
    if not all(t.resolve().is_relative_to(base) for t in targets):
        raise UsageError(
            f"service '{service}' (path {path}) leads outside the project {root}: its"
            " directory, .env or .env.bak; nothing was written for any service",
            hint=f"give it a directory inside the project (envkeep service set {service}"
            " --path DIR), with no .env or .env.bak linking out of it",
        )


def _refuse_shared_directories(root: Path, paths: list[tuple[str, str]]) -> None:
    """Refuse two services whose .env is one file (the same directory, however written):
    each run would write one service's values over the other's. Checked before any write."""
    seen: dict[Path, str] = {}
    for service, path in paths:
        target = (root / path).resolve()
        other = seen.setdefault(target, service)
        if other != service:
            raise UsageError(
                f"services '{other}' and '{service}' have one directory ({path}), so one .env"
                " for both; nothing was written for any service",
                hint=f"give each its own directory: envkeep service set {service} --path DIR",
            )


def invalid(plans: list[FilePlan]) -> list[FilePlan]:
    """The plans whose service failed validation: any stops the whole activation."""
    return [p for p in plans if p.action == "invalid"]


def blocked(plans: list[FilePlan]) -> list[FilePlan]:
    """The plans that stop the whole activation: a foreign or edited .env without --force."""
    return [p for p in plans if p.action == "blocked"]


def refuse_blocked(plans: list[FilePlan], *, dry_run: bool = False) -> None:
    """Stop on the blocked plans (a foreign or edited .env without --force), naming every one:
    activation writes all or nothing, so each must be dealt with. A dry run says so too (and
    fails as the run would)."""
    stopping = blocked(plans)
    if not stopping:
        return
    edited = [p for p in stopping if p.edited]
    foreign = [p for p in stopping if not p.edited]
    since = "since envkeep wrote"
    why = (
        _listed(edited, f"was edited {since} it", f"were edited {since} them"),
        _listed(foreign, "was not written by envkeep", "were not written by envkeep"),
    )
    outcome = "the run would write nothing" if dry_run else "nothing was written"
    raise UsageError(
        f"{', and '.join(filter(None, why))}; {outcome} for any service",
        hint=_blocked_hint(edited, foreign),
    )


def _blocked_hint(edited: list[FilePlan], foreign: list[FilePlan]) -> str:
    each = "it is" if len(edited) + len(foreign) == 1 else "each is"
    force = f"pass --force ({each} then kept as a .env.bak backup)"
    if not edited:
        return f"move {'it' if len(foreign) == 1 else 'them'} away, or {force}"
    keep = f"keep the edits in the store (envkeep set NAME=VALUE --service {edited[0].service})"
    return f"{keep}, move the others away, or {force}" if foreign else f"{keep}, or {force}"


def _listed(plans: list[FilePlan], one: str, several: str) -> str:
    """``plans``' files and what is wrong with them; empty for none."""
    if not plans:
        return ""
    return f"{', '.join(str(p.path) for p in plans)} {one if len(plans) == 1 else several}"


def apply_activation(plans: list[FilePlan]) -> None:
    """Write every planned file: all temp files and backups first, then the renames. A blocked
    plan (a foreign or edited .env without --force) stops everything before the first write;
    a failure before the renames (a full disk while a backup is copied) removes every temp file
    and backup made and leaves each .env as it was, and one among the renames (Ctrl-C) removes
    the temp files not renamed yet: none is left beside a .env, values in clear."""
    if stopped := invalid(plans):  # `refuse_invalid` says why, before this is called
        raise ValidationFailed(f"{_listed(stopped, 'is', 'are')} invalid; nothing was written")
    refuse_blocked(plans)
    pending = [p for p in plans if p.action != "unchanged"]
    made: list[Path] = []  # temp files and backups, removed if the first phase fails
    try:
        temps = [(plan, _made(made, _write_temp(plan))) for plan in pending]
        for plan in pending:
            if plan.backup is not None:  # a name no file has: a partial copy is ours to remove
                shutil.copy2(plan.path, _made(made, plan.backup))
    except BaseException:
        _remove(made)
        raise
    for done, (plan, temp) in enumerate(temps):
        try:
            temp.replace(plan.path)
        except BaseException:
            _remove([t for _p, t in temps[done:]])
            raise


def _made(made: list[Path], path: Path) -> Path:
    made.append(path)
    return path


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def exposed_to_git(root: Path, plans: list[FilePlan]) -> Exposed:
    """What of ``plans``' files (those that exist) git would commit (`files_exposed_to_git`)."""
    found = [p for plan in plans for p in (plan.path, plan.backup) if p is not None and p.exists()]
    return files_exposed_to_git(root, found)


def _write_temp(plan: FilePlan) -> Path:
    from envkeep.core.files import temporary_file

    plan.path.parent.mkdir(parents=True, exist_ok=True)
    with temporary_file(plan.path) as (handle, tmp):
        handle.write(plan.text.encode("utf-8"))
    return tmp
