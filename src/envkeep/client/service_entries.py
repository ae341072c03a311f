"""A service's entry in envkeep.toml: its directory and schema file, checked and changed.

`set_service` is `envkeep service set`: the project file is what commands read (where
`activate-all` writes, which .env.example `validate` uses), so that is where it changes; the
new text is parsed, and must give the service what was asked, before it replaces the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from envkeep.core.errors import InputError, ServiceNotFound, UsageError
from envkeep.core.files import write_atomic
from envkeep.core.projectfile import ServiceEntry, parse_project_file
from envkeep.core.projectfile_edits import with_service_section, with_service_setting

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.core.projectfile import ProjectFile


def checked_service_paths(
    project: ProjectFile, service: str, path: str | None, schema: str | None
) -> tuple[str | None, str | None]:
    """``path`` and ``schema`` as envkeep.toml keeps them, or a UsageError saying what to pass.

    ``path`` must name a directory inside the project (activate-all writes secrets there) that
    no other service has (each writes its own .env there); it is kept relative to the project
    root, with ``/`` (``.``: the root itself)."""
    for given in (path, schema):
        if given is not None and not _is_text(given):
            raise UsageError(
                f"{given!r} is not valid UTF-8 text",
                hint="rename the directory or file, or pass another one",
            )
    if path is not None:
        path = _inside(project.root, path)
        _refuse_taken(project, service, path)
    if schema is not None and not (project.root / schema).is_file():
        raise UsageError(
            f"schema file {schema} not found under {project.root}",
            hint="pass the .env.example path relative to the project root",
        )
    return path, schema


def _refuse_taken(project: ProjectFile, service: str, path: str) -> None:
    """A directory another service of envkeep.toml has is refused (one .env for two)."""
    wanted = (project.root / path).resolve()
    taken = [
        other.name
        for other in project.services
        if other.name != service
        and other.path is not None
        and (project.root / other.path).resolve() == wanted
    ]
    if taken:
        raise UsageError(
            f"service '{taken[0]}' has the directory {path} already: activate-all writes one"
            " .env there for each service",
            hint="give this service its own directory (--path DIR); a value both need can be"
            " shared (set it without --service)",
        )


def check_schema(ctx: ClientContext, schema: str | None) -> None:
    """Parse a schema file before a service is given it: a typo in it (an unknown type, a name
    declared twice) is refused here, naming its line, not at every later command; what it may
    not mean (`plain_required`) is said."""
    if schema is None:
        return
    from envkeep.client.resolution import parse_schema_file
    from envkeep.client.schema_notes import warn_of_notes

    warn_of_notes(ctx, parse_schema_file(ctx.project_file.root / schema))


EXAMPLE_FILE = ".env.example"


def example_in(project: ProjectFile, path: str | None) -> str | None:
    """The .env.example in the service directory ``path``, named as envkeep.toml keeps it, if
    there is one (``service add`` records it as the schema, as ``init`` does for what it finds)."""
    if path is None:
        return None
    relative = EXAMPLE_FILE if path == "." else f"{path}/{EXAMPLE_FILE}"
    return relative if (project.root / relative).is_file() else None


def unused_example(project: ProjectFile, name: str) -> str | None:
    """A .env.example in the service's directory while the service has no schema at all (it
    was added before the file was written): the file envkeep is not reading."""
    entry = project.service(name)
    if entry is None or entry.schema is not None or entry.schema_table is not None:
        return None
    return example_in(project, entry.path)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _inside(root: Path, path: str) -> str:
    """``path`` relative to ``root``, if it is a directory inside it (links followed: one
    leading out of the project is refused too)."""
    base = Path(os.path.normpath(root))
    where = Path(os.path.normpath(base / path))
    if not where.is_relative_to(base) or not where.is_dir():
        raise UsageError(
            f"service path {path} is not a directory under {root}",
            hint="create the directory first, or pass --path relative to the project root",
        )
    if not where.resolve().is_relative_to(base.resolve()):
        raise UsageError(
            f"service path {path} leads out of the project (to {where.resolve()})",
            hint="pass a directory inside the project: activate-all writes secrets there",
        )
    return where.relative_to(base).as_posix()


def set_service(
    ctx: ClientContext, name: str, *, path: str | None, schema: str | None
) -> ServiceEntry:
    """Give a service a directory and/or a .env.example in envkeep.toml; the updated entry.

    A service the store knows but envkeep.toml lacks (a clone from before it was added) gets
    its section here."""
    project = ctx.project_file
    if path is None and schema is None:
        raise UsageError(
            f"nothing to change for service '{name}': give --path and/or --schema",
            hint=f"for example: envkeep service set {name} --path services/{name}",
        )
    entry = project.service(name) or _stored_entry(ctx, name)
    if schema is not None and entry.schema_table is not None:
        raise UsageError(
            f"service '{name}' has its schema as a table in envkeep.toml",
            hint="edit that table in envkeep.toml, or remove it to use a .env.example",
        )
    path, schema = checked_service_paths(project, name, path, schema)
    check_schema(ctx, schema)
    return _write_settings(project, entry, path, schema)


def _write_settings(
    project: ProjectFile, entry: ServiceEntry, path: str | None, schema: str | None
) -> ServiceEntry:
    """envkeep.toml with the service's path and schema set, once it parses and says so."""
    name = entry.name
    text = with_service_section(project.path.read_text(encoding="utf-8"), entry)
    for key, value in (("path", path), ("schema", schema)):
        if value is not None:
            text = with_service_setting(text, name, key, value)
    try:
        updated = parse_project_file(text, project.root).service(name)
    except InputError as error:
        raise _by_hand(name, path, schema, f"the edit would not parse ({error})") from None
    if updated is None or (path or updated.path, schema or updated.schema) != (
        updated.path,
        updated.schema,
    ):  # what was asked is not what the file would say
        raise _by_hand(name, path, schema, "it is written in a way this command cannot edit")
    write_atomic(project.path, text.encode(), mode=0o644)
    return updated


def _stored_entry(ctx: ClientContext, name: str) -> ServiceEntry:
    """A new entry for a service the store knows; ServiceNotFound if it does not."""
    project = ctx.project_file
    if name not in {s.name for s in ctx.backend.list_services(project.project)}:
        raise not_in_project_file(name, [s.name for s in project.services])
    return ServiceEntry(name)


def not_in_project_file(name: str, known: list[str]) -> ServiceNotFound:
    """The error for a service envkeep.toml does not declare: a likely typo is named (as
    every other command names one), else how to add it."""
    from envkeep.app.not_found import service_hint

    return ServiceNotFound(
        f"service '{name}' is not in envkeep.toml (services: {', '.join(known) or 'none yet'})",
        hint=service_hint(name, known),
    )


def _by_hand(name: str, path: str | None, schema: str | None, why: str) -> UsageError:
    settings = [f'{k} = "{v}"' for k, v in (("path", path), ("schema", schema)) if v]
    wanted = " and ".join(settings) or "the setting"
    return UsageError(
        f"envkeep.toml's entry for service '{name}' was left as it was: {why}",
        hint=f"put {wanted} under [services.{name}] in envkeep.toml by hand",
    )
